#include "signals.hpp"

#include <gtest/gtest.h>

#include <csignal>

#include "error.hpp"

using namespace box;

TEST(Signals, NamesWithAndWithoutSigAndAnyCase) {
    EXPECT_EQ(parse_signal("KILL"), SIGKILL);
    EXPECT_EQ(parse_signal("SIGKILL"), SIGKILL);
    EXPECT_EQ(parse_signal("sigterm"), SIGTERM);
    EXPECT_EQ(parse_signal("usr1"), SIGUSR1);
}

TEST(Signals, Numbers) {
    EXPECT_EQ(parse_signal("9"), 9);
    EXPECT_EQ(parse_signal("15"), 15);
    EXPECT_EQ(parse_signal("0"), 0);  // kill ID 0: is the init alive? (as runc)
}

TEST(Signals, RealtimeSignals) {
    EXPECT_EQ(parse_signal("RTMIN"), SIGRTMIN);
    EXPECT_EQ(parse_signal("SIGRTMIN+2"), SIGRTMIN + 2);
    EXPECT_EQ(parse_signal("RTMAX-1"), SIGRTMAX - 1);
}

TEST(Signals, UnknownIsAnErrorNamingIt) {
    for (const char* bad : {"FOO", "65", "-1", "", "SIG", "RTMIN+99", "9x"}) {
        try {
            parse_signal(bad);
            FAIL() << bad;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("unknown signal"), std::string::npos) << bad;
        }
    }
}
