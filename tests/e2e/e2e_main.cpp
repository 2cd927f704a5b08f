// The Boost.Test module of the end-to-end executable; each *_test.cpp is one suite, e2e_<name>.
#define BOOST_TEST_MODULE backflow_e2e
#include <boost/test/unit_test.hpp>
