/*
 * dyn-cxx.cc — a dynamically linked C++ program (Debian's cross g++):
 * libstdc++ and libgcc_s from the sysroot, iostreams, containers, and an
 * exception thrown through several frames, their destructors run by
 * libgcc_s's DWARF unwinder, then caught.
 *
 * The one thing to know: the same source is also built statically
 * (cxx-static); the dynamic build runs with -L /usr/riscv64-linux-gnu.
 */
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct Guard {
    std::string name;
    ~Guard() { std::cout << "unwound " << name << "\n"; }
};

static int thrower(int depth)
{
    Guard g{"level " + std::to_string(depth)};
    if (depth == 0) {
        throw std::runtime_error("deep error");
    }
    return thrower(depth - 1) + 1;
}

int main()
{
    std::vector<int> v{5, 3, 9, 1};
    std::map<std::string, int> m;
    for (int x : v) {
        m["k" + std::to_string(x)] = x * 2;
    }
    for (const auto &p : m) {
        std::cout << p.first << "=" << p.second << "\n";
    }
    try {
        thrower(3);
    } catch (const std::exception &e) {
        std::cout << "caught: " << e.what() << "\n";
    }
    try {
        std::vector<int> w;
        w.at(10);
    } catch (const std::out_of_range &) {
        std::cout << "out_of_range caught\n";
    }
    auto p = std::make_unique<std::string>("unique_ptr works");
    std::cout << *p << std::endl;
    return 0;
}
