// dyn-thread.cc — C++ threads in a dynamically linked program: std::thread,
// std::mutex, std::condition_variable, std::atomic, std::async/futures,
// thread_local, and an exception thrown and caught inside a thread.
#include <atomic>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <thread>
#include <vector>

static thread_local int tls_counter = 0;

int main()
{
    std::atomic<long> total{0};
    std::mutex m;
    long guarded = 0;
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; t++) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < 10000; i++) {
                total.fetch_add(i % 7, std::memory_order_relaxed);
                tls_counter++;
                std::lock_guard<std::mutex> g(m);
                guarded += t;
            }
            if (tls_counter != 10000) {
                std::cout << "thread_local broken\n";
            }
        });
    }
    for (auto &th : pool) {
        th.join();
    }
    std::cout << "atomic total " << total << ", guarded " << guarded << ", main tls "
              << tls_counter << "\n";

    std::queue<int> q;
    std::condition_variable cv;
    bool done = false;
    long consumed = 0;
    std::thread consumer([&] {
        std::unique_lock<std::mutex> lk(m);
        for (;;) {
            cv.wait(lk, [&] { return !q.empty() || done; });
            while (!q.empty()) {
                consumed += q.front();
                q.pop();
            }
            if (done) {
                return;
            }
        }
    });
    for (int i = 1; i <= 1000; i++) {
        {
            std::lock_guard<std::mutex> g(m);
            q.push(i);
        }
        cv.notify_one();
    }
    {
        std::lock_guard<std::mutex> g(m);
        done = true;
    }
    cv.notify_one();
    consumer.join();
    std::cout << "consumed " << consumed << "\n";

    std::vector<std::future<long>> parts;
    for (int p = 0; p < 4; p++) {
        parts.push_back(std::async(std::launch::async, [p] {
            long s = 0;
            for (long i = p * 250000; i < (p + 1) * 250000; i++) {
                s += i;
            }
            return s;
        }));
    }
    long sum = 0;
    for (auto &f : parts) {
        sum += f.get();
    }
    std::cout << "async sum " << sum << "\n";

    auto failing = std::async(std::launch::async, []() -> int { throw std::runtime_error("from a thread"); });
    try {
        failing.get();
    } catch (const std::exception &e) {
        std::cout << "caught: " << e.what() << "\n";
    }
    std::cout << "hardware threads known: " << (std::thread::hardware_concurrency() > 0) << "\n";
    return 0;
}
