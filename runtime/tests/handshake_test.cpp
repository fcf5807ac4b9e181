#include "handshake.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "error.hpp"
#include "fd.hpp"

using namespace box;

namespace {

struct SocketPair {
    UniqueFd a, b;
    SocketPair() {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        a.reset(sv[0]);
        b.reset(sv[1]);
    }
};

void write_raw(int fd, const std::string& bytes) {
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

struct Pipe {
    UniqueFd r, w;
    Pipe() {
        int p[2];
        EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
        r.reset(p[0]);
        w.reset(p[1]);
    }
};

// What is readable from fd right now (up to 64 bytes), or "EOF".
std::string read_now(int fd) {
    char buf[64];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return "EOF";
    return n < 0 ? "error" : std::string(buf, static_cast<size_t>(n));
}

std::string header(uint32_t len) {
    std::string h(4, '\0');
    for (int i = 0; i < 4; ++i) h[i] = static_cast<char>((len >> (8 * i)) & 0xff);
    return h;
}

}  // namespace

TEST(Handshake, RoundTripKeepsTypeAndPayload) {
    SocketPair s;
    send_message(s.a.get(), {MsgType::Error, "executable \"nope\" not found"});
    send_message(s.a.get(), {MsgType::Ready, ""});
    auto m1 = recv_message(s.b.get());
    auto m2 = recv_message(s.b.get());
    ASSERT_TRUE(m1 && m2);
    EXPECT_EQ(*m1, (Message{MsgType::Error, "executable \"nope\" not found"}));
    EXPECT_EQ(*m2, (Message{MsgType::Ready, ""}));
}

TEST(Handshake, EofAtFrameBoundaryIsNotAnError) {
    SocketPair s;
    s.a.reset();
    EXPECT_FALSE(recv_message(s.b.get()).has_value());
}

TEST(Handshake, EofInsideHeaderIsTruncation) {
    SocketPair s;
    write_raw(s.a.get(), std::string("\x05\x00", 2));
    s.a.reset();
    EXPECT_THROW(recv_message(s.b.get()), Error);
}

TEST(Handshake, EofInsideBodyIsTruncation) {
    SocketPair s;
    write_raw(s.a.get(), header(10) + "\x02" + "abc");
    s.a.reset();
    try {
        recv_message(s.b.get());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
    }
}

TEST(Handshake, PartialFramesAreReassembled) {
    SocketPair s;
    std::string payload(3000, 'x');
    std::string frame = header(static_cast<uint32_t>(payload.size() + 1)) + "\x04" + payload;
    std::thread writer([&] {
        for (char c : frame) ASSERT_EQ(::write(s.a.get(), &c, 1), 1);
    });
    auto m = recv_message(s.b.get());
    writer.join();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, MsgType::Ack);
    EXPECT_EQ(m->payload, payload);
}

TEST(Handshake, OversizeFrameIsRejectedWithoutReadingIt) {
    SocketPair s;
    write_raw(s.a.get(), header(kMaxFrameBody + 1) + "\x02");
    try {
        recv_message(s.b.get());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("exceeds"), std::string::npos);
    }
}

TEST(Handshake, EmptyFrameIsRejected) {
    SocketPair s;
    write_raw(s.a.get(), header(0));
    EXPECT_THROW(recv_message(s.b.get()), Error);
}

TEST(Handshake, SendRefusesOversizePayload) {
    SocketPair s;
    EXPECT_THROW(send_message(s.a.get(), {MsgType::Error, std::string(kMaxFrameBody, 'x')}), Error);
}

TEST(Handshake, FdTravelsWithItsFrame) {
    SocketPair s;
    Pipe p;
    send_message(s.a.get(), {MsgType::SeccompListener, "x"}, p.w.get());
    p.w.reset();  // the copy in flight keeps the pipe open
    UniqueFd got;
    auto m = recv_message(s.b.get(), &got);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, (Message{MsgType::SeccompListener, "x"}));
    ASSERT_TRUE(got);
    EXPECT_TRUE(::fcntl(got.get(), F_GETFD) & FD_CLOEXEC);
    ASSERT_EQ(::write(got.get(), "hi", 2), 2);
    EXPECT_EQ(read_now(p.r.get()), "hi");
    got.reset();
    EXPECT_EQ(read_now(p.r.get()), "EOF");
}

TEST(Handshake, FdBelongsToTheFrameItWasSentWith) {
    SocketPair s;
    Pipe p;
    send_message(s.a.get(), {MsgType::Ready, ""});
    send_message(s.a.get(), {MsgType::SeccompListener, std::string(20000, 'y')}, p.w.get());
    send_message(s.a.get(), {MsgType::Ack, ""});
    UniqueFd first, second, third;
    auto m1 = recv_message(s.b.get(), &first);
    auto m2 = recv_message(s.b.get(), &second);
    auto m3 = recv_message(s.b.get(), &third);
    ASSERT_TRUE(m1 && m2 && m3);
    EXPECT_EQ(m1->type, MsgType::Ready);
    EXPECT_EQ(m2->type, MsgType::SeccompListener);
    EXPECT_EQ(m2->payload.size(), 20000u);
    EXPECT_EQ(m3->type, MsgType::Ack);
    EXPECT_FALSE(first);
    EXPECT_TRUE(second);
    EXPECT_FALSE(third);
}

TEST(Handshake, UnexpectedFdIsRefusedAndClosed) {
    SocketPair s;
    Pipe p;
    send_message(s.a.get(), {MsgType::Ready, ""}, p.w.get());
    p.w.reset();
    try {
        recv_message(s.b.get());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unexpected file descriptor"), std::string::npos);
    }
    EXPECT_EQ(read_now(p.r.get()), "EOF");  // nobody holds the write end any more
}

TEST(Handshake, NoFdLeavesTheSlotEmpty) {
    SocketPair s;
    send_message(s.a.get(), {MsgType::Go, ""});
    UniqueFd got;
    auto m = recv_message(s.b.get(), &got);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, MsgType::Go);
    EXPECT_FALSE(got);
}
