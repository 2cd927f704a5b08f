// The number of members of an aggregate, at compile time: serialisers list every field by hand,
// and a static_assert on this count makes a new field that they leave out a build error.
#pragma once

#include <cstddef>
#include <utility>

namespace backflow {
namespace detail {

/// Converts to any member type, so `T{any_member{}...}` initialises N members of T.
struct any_member {
  template <class U>
  operator U() const;  // declared only: used in unevaluated contexts
};

template <class T, class Indices, class = void>
struct brace_initialisable : std::false_type {};

template <class T, std::size_t... I>
struct brace_initialisable<T, std::index_sequence<I...>,
                           std::void_t<decltype(T{(void(I), any_member{})...})>>
    : std::true_type {};

template <class T, std::size_t N>
constexpr std::size_t count_members() {
  if constexpr (N == 0)
    return 0;
  else if constexpr (brace_initialisable<T, std::make_index_sequence<N>>::value)
    return N;
  else
    return count_members<T, N - 1>();
}

}  // namespace detail

/// How many members aggregate `T` has (up to 32).
template <class T>
constexpr std::size_t field_count() {
  return detail::count_members<T, 32>();
}

}  // namespace backflow
