// The Boost.Test module of the emulator tests; the cases live in the other files of this folder.
#define BOOST_TEST_MODULE emulators
#include <boost/test/unit_test.hpp>
