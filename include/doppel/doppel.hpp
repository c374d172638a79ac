// File: doppel/doppel.hpp
// Umbrella header: everything a front end (CLI, bindings, server) needs.
#pragma once

#include "doppel/dedup.hpp"
#include "doppel/eval.hpp"
#include "doppel/explain.hpp"
#include "doppel/status.hpp"
#include "doppel/version.hpp"
