// File: core/mapped_array.hpp
//
// A growable array of trivially copyable values for tables that grow a piece at
// a time to hundreds of MB: dedup's per-document tables (band keys, line keys)
// and the decompressed bytes io keeps of compressed inputs.
// std::vector doubles by allocating anew, copying and freeing: on the 1 GB
// benchmark that touched about twice the final size in fresh pages and copied
// the tables over and over (a quarter of the run's page faults). Here the
// mapping grows with mremap, which moves page tables instead of bytes, so every
// page is faulted in once and nothing is copied.
//
// Linux only, like the rest of the output and arena code. Not thread-safe.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>

namespace doppel::core {

template <typename T>
class MappedArray {
  static_assert(std::is_trivially_copyable_v<T>, "values are moved as bytes");

 public:
  MappedArray() = default;
  ~MappedArray() { release(); }
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  operator std::span<const T>() const { return {data_, size_}; }

  void append(const T* values, size_t n) {
    if (n == 0) return;
    reserve(size_ + n);
    std::memcpy(data_ + size_, values, n * sizeof(T));
    size_ += n;
  }
  void push_back(const T& value) { append(&value, 1); }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    size_t bytes = std::max(capacity_ * sizeof(T) * 2, size_t{1} << 20);
    while (bytes / sizeof(T) < n) bytes *= 2;
    void* p = data_ == nullptr
                  ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                  : ::mremap(data_, capacity_ * sizeof(T), bytes, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<T*>(p);
    capacity_ = bytes / sizeof(T);
  }

  // Gives the memory back to the system.
  void release() {
    if (data_ != nullptr) ::munmap(data_, capacity_ * sizeof(T));
    data_ = nullptr;
    size_ = capacity_ = 0;
  }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;  // values the mapping holds
};

}  // namespace doppel::core
