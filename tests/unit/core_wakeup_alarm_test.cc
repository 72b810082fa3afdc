// WakeupAlarm (core/wakeup_alarm.h) against a real blocking waitpid(): it
// interrupts the wait at its deadline, keeps an earlier deadline when a
// later one is asked for, and, once it went off, repeats, so a wait begun
// just after it went off still wakes (the recorder's scheduler relies on
// all three to meet a thread's deadlines however often the thread stops).
#include "core/wakeup_alarm.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "core/clock.h"

namespace rwd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A child that sleeps `secs` seconds, killed and reaped at the end.
class SleepingChild {
 public:
  explicit SleepingChild(int secs) {
    pid_ = fork();
    if (pid_ == 0) {
      sleep(secs);
      _exit(0);
    }
  }
  ~SleepingChild() {
    if (reaped_) return;
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  // One waitpid: the child's pid once it ended, -1 with errno otherwise.
  pid_t WaitOnce() {
    pid_t r = waitpid(pid_, nullptr, 0);
    if (r == pid_) reaped_ = true;
    return r;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

TEST(WakeupAlarm, InterruptsAWaitAtItsDeadline) {
  SleepingChild child(30);
  ASSERT_GT(child.pid(), 0);
  WakeupAlarm alarm;
  ASSERT_TRUE(alarm.SetBy(MonotonicNow() + milliseconds(2)).ok());
  EXPECT_EQ(child.WaitOnce(), -1);
  EXPECT_EQ(errno, EINTR);
  EXPECT_TRUE(alarm.TakeWentOff());
  EXPECT_FALSE(alarm.TakeWentOff());
  EXPECT_TRUE(alarm.EndRepeats().ok());
}

TEST(WakeupAlarm, ALaterDeadlineLeavesTheEarlierOneSet) {
  // Without that rule the wait would see the child end after 3 s.
  SleepingChild child(3);
  ASSERT_GT(child.pid(), 0);
  WakeupAlarm alarm;
  ASSERT_TRUE(alarm.SetBy(MonotonicNow() + milliseconds(2)).ok());
  ASSERT_TRUE(alarm.SetBy(MonotonicNow() + seconds(60)).ok());
  EXPECT_EQ(child.WaitOnce(), -1);
  EXPECT_EQ(errno, EINTR);
  EXPECT_TRUE(alarm.TakeWentOff());
  EXPECT_TRUE(alarm.EndRepeats().ok());
}

TEST(WakeupAlarm, AWaitBegunAfterItWentOffStillWakes) {
  SleepingChild child(30);
  ASSERT_GT(child.pid(), 0);
  WakeupAlarm alarm;
  // A deadline already passed: it goes off at once, before any wait.
  ASSERT_TRUE(alarm.SetBy(MonotonicNow() - milliseconds(1)).ok());
  while (!alarm.TakeWentOff()) {
  }
  // The going-off was taken by someone who then waited anyway (the signal
  // that lands just before a waitpid): the repeat interrupts that wait.
  EXPECT_EQ(child.WaitOnce(), -1);
  EXPECT_EQ(errno, EINTR);
  EXPECT_TRUE(alarm.TakeWentOff());
  EXPECT_TRUE(alarm.EndRepeats().ok());
}

TEST(WakeupAlarm, EndedRepeatsInterruptNothing) {
  SleepingChild child(1);
  ASSERT_GT(child.pid(), 0);
  WakeupAlarm alarm;
  ASSERT_TRUE(alarm.SetBy(MonotonicNow()).ok());
  while (!alarm.TakeWentOff()) {
  }
  ASSERT_TRUE(alarm.EndRepeats().ok());
  alarm.TakeWentOff();  // a repeat just before the end
  EXPECT_EQ(child.WaitOnce(), child.pid());
  EXPECT_FALSE(alarm.TakeWentOff());
}

}  // namespace
}  // namespace rwd
