// File: eval/svg.cpp
//
// The precision / recall / F1 curves of a sweep as a standalone SVG file,
// written by hand: a plot is a few dozen elements, not worth a dependency.
// Coordinates are printed with one decimal so the file is deterministic.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "doppel/eval.hpp"

namespace doppel::eval {
namespace {

constexpr double kWidth = 760, kHeight = 460;
constexpr double kLeft = 70, kRight = 590, kTop = 56, kBottom = 392;  // plot area; legend to the right

// Widths decrease in drawing order so that curves lying on top of each other
// (often all three at 1.0) stay visible as nested bands.
struct Curve {
  const char* name;
  const char* color;
  const char* width;
  const char* dot;  // radius of the marker at each measured point (a lone point has no line)
  double Scores::*value;
};
constexpr Curve kCurves[] = {
    {"precision", "#1f77b4", "6", "6", &Scores::precision},
    {"recall", "#d62728", "3.5", "4", &Scores::recall},
    {"F1", "#2ca02c", "1.5", "2", &Scores::f1},
};

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v) { return fmt::format("{:.1f}", v); }

}  // namespace

std::string sweep_to_svg(const Sweep& sweep, const std::string& title) {
  const auto& pts = sweep.points;
  double x_min = pts.empty() ? 0 : pts.front().threshold;
  double x_max = pts.empty() ? 1 : pts.back().threshold;
  for (const auto& p : pts) {
    x_min = std::min(x_min, p.threshold);
    x_max = std::max(x_max, p.threshold);
  }
  if (x_max - x_min < 1e-9) {  // a single threshold: centre it
    x_min -= 0.05;
    x_max += 0.05;
  }
  // The y axis starts at the lowest 0.1 below every value, so curves that
  // all sit near 1 are not squashed against the top edge.
  double lowest = 1;
  for (const auto& p : pts) {
    for (const auto& c : kCurves) lowest = std::min(lowest, p.scores.*c.value);
  }
  double y_min = std::clamp(std::floor(lowest * 10 + 1e-9) / 10, 0.0, 0.9);
  auto sx = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * (kRight - kLeft); };
  auto sy = [&](double y) { return kBottom - (y - y_min) / (1 - y_min) * (kBottom - kTop); };

  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n",
      kWidth, kHeight);
  out += "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  out += fmt::format("<text x=\"{}\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
                     num((kLeft + kRight) / 2), xml_escape(title));

  // Horizontal grid and y ticks every 0.1 (0.05 when the axis spans little).
  const double y_step = 1 - y_min <= 0.31 ? 0.05 : 0.1;
  const int y_ticks = static_cast<int>(std::lround((1 - y_min) / y_step));
  for (int i = 0; i <= y_ticks; ++i) {
    double y = y_min + i * y_step;
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#dddddd\"/>\n", num(kLeft),
                       num(sy(y)), num(kRight));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.2f}</text>\n", num(kLeft - 8),
                       num(sy(y) + 4), y);
  }
  // x ticks at the sweep's thresholds (every k-th one when there are many).
  const size_t every = pts.size() > 12 ? (pts.size() + 11) / 12 : 1;
  for (size_t i = 0; i < pts.size(); i += every) {
    double x = sx(pts[i].threshold);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>\n", num(x), num(kBottom),
                       num(kBottom + 5));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(x), num(kBottom + 19),
                       pts[i].threshold);
  }
  // Axes and their labels.
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n", num(kLeft),
                     num(kBottom), num(kRight));
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>\n", num(kLeft), num(kTop),
                     num(kBottom));
  std::string x_label = sweep.parameter == "both" ? "--jaccard = --containment" : "--" + sweep.parameter;
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num((kLeft + kRight) / 2),
                     num(kBottom + 44), xml_escape(x_label));
  out += fmt::format("<text x=\"18\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {0})\">score</text>\n",
                     num((kTop + kBottom) / 2));

  // One polyline per metric, with a dot at each measured point.
  for (const auto& c : kCurves) {
    std::string points;
    for (const auto& p : pts) {
      if (!points.empty()) points += ' ';
      points += num(sx(p.threshold)) + "," + num(sy(p.scores.*c.value));
    }
    out += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" points=\"{}\"/>\n", c.color,
                       c.width, points);
    for (const auto& p : pts) {
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"/>\n", num(sx(p.threshold)),
                         num(sy(p.scores.*c.value)), c.dot, c.color);
    }
  }

  // Legend.
  const double lx = kRight + 24, ly = kTop + 6;
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"130\" height=\"{}\" fill=\"white\" stroke=\"#999999\"/>\n",
                     num(lx), num(ly), num(12 + 22 * std::size(kCurves)));
  for (size_t i = 0; i < std::size(kCurves); ++i) {
    double y = ly + 20 + 22 * static_cast<double>(i);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"{4}\"/>\n",
                       num(lx + 10), num(y - 4), num(lx + 40), kCurves[i].color, kCurves[i].width);
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", num(lx + 48), num(y), kCurves[i].name);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace doppel::eval
