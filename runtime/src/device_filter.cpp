#include "device_filter.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "fd.hpp"

namespace box {
namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

}  // namespace

std::vector<bpf_insn> build_device_program(const std::vector<DeviceRule>& rules) {
    std::vector<bpf_insn> p;
    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
    p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, R2, R1, 0, 0));      // r2 = access_type
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, R3, R2, 0, 0));    // r3 = access_type
    p.push_back(insn(BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff));  // r2 = device type
    p.push_back(insn(BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16));      // r3 = requested access
    p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, R4, R1, 4, 0));      // r4 = major
    p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, R5, R1, 8, 0));      // r5 = minor
    // The last matching rule decides, so test the rules from the last one back.
    for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
        const DeviceRule& r = *it;
        std::vector<bpf_insn> block;
        int32_t type = r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : r.type == 'c' ? BPF_DEVCG_DEV_CHAR : -1;
        int32_t access = 0;
        for (char c : r.access)
            access |= c == 'r'   ? BPF_DEVCG_ACC_READ
                      : c == 'w' ? BPF_DEVCG_ACC_WRITE
                      : c == 'm' ? BPF_DEVCG_ACC_MKNOD
                                 : 0;
        // Each check jumps past the rest of the block when it does not match; offsets fixed below.
        std::vector<size_t> jumps;
        if (type >= 0) {
            jumps.push_back(block.size());
            block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0, type));
        }
        if (access != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
            block.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, R1, R3, 0, 0));
            block.push_back(insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, ~access & 7));
            jumps.push_back(block.size());
            block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, R1, 0, 0, 0));
        }
        if (r.major >= 0) {
            jumps.push_back(block.size());
            block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, static_cast<int32_t>(r.major)));
        }
        if (r.minor >= 0) {
            jumps.push_back(block.size());
            block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, static_cast<int32_t>(r.minor)));
        }
        block.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r.allow ? 1 : 0));
        block.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
        for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
        p.insert(p.end(), block.begin(), block.end());
        // A rule without conditions decides everything; the verifier rejects code after it.
        if (jumps.empty()) return p;
    }
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    return p;
}

void attach_device_filter(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules) {
    std::vector<bpf_insn> prog = build_device_program(rules);
    bpf_attr load{};
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = reinterpret_cast<uint64_t>(prog.data());
    load.insn_cnt = static_cast<uint32_t>(prog.size());
    load.license = reinterpret_cast<uint64_t>("Apache");
    UniqueFd prog_fd(static_cast<int>(syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load)));
    if (!prog_fd) {
        int err = errno;
        // Load again with the verifier's log, only to explain the failure.
        std::string log(65536, '\0');
        load.log_buf = reinterpret_cast<uint64_t>(log.data());
        load.log_size = static_cast<uint32_t>(log.size());
        load.log_level = 1;
        syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
        log.resize(std::strlen(log.c_str()));
        throw Error("linux.resources.devices: loading the cgroup v2 device program: " +
                    std::string(std::strerror(err)) + (log.empty() ? "" : " (" + log.substr(0, 500) + ")"));
    }
    UniqueFd dir(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) throw_errno("opening cgroup " + cgroup_dir);
    bpf_attr attach{};
    attach.target_fd = static_cast<uint32_t>(dir.get());
    attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) < 0)
        throw_errno("linux.resources.devices: attaching the device program to " + cgroup_dir);
}

}  // namespace box
