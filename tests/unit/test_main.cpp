// The Boost.Test module shared by every unit test executable; the cases live in the other files.
#define BOOST_TEST_MODULE backflow_unit
#include <boost/test/unit_test.hpp>
