// ThreadTable: recorded tids to the tasks replaying them, and the live
// thread an address space is reached through. No process runs: the tasks
// hold made-up live tids, which the table only stores.
#include <gtest/gtest.h>

#include <memory>

#include "arch/arch.h"
#include "replayer/thread_table.h"

namespace rwd::replayer {
namespace {

std::unique_ptr<ReplayTask> Task(pid_t recorded, pid_t group, pid_t live,
                                 std::shared_ptr<AddressSpace> mm) {
  return std::make_unique<ReplayTask>(Tracee(live, arch::HostArch()), recorded, group,
                                      std::move(mm));
}

TEST(ThreadTableTest, FindsATaskByItsRecordedTidNotItsLiveOne) {
  ThreadTable table;
  auto mm = std::make_shared<AddressSpace>();
  table.Add(Task(100, 100, 5000, mm));
  table.Add(Task(101, 100, 5001, mm));
  ReplayTask* t = table.Find(RecordedTid(101));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->recorded_tid(), RecordedTid(101));
  EXPECT_EQ(t->live_tid(), LiveTid(5001));
  // A live tid that happens to equal no recorded one finds nothing.
  EXPECT_EQ(table.Find(RecordedTid(5000)), nullptr);
  EXPECT_EQ(table.size(), 2u);
}

TEST(ThreadTableTest, ReachesAnAddressSpaceThroughThePreferredThreadOrALiveOne) {
  ThreadTable table;
  auto first = std::make_shared<AddressSpace>();
  auto second = std::make_shared<AddressSpace>();
  ReplayTask& leader = table.Add(Task(100, 100, 5000, first));
  leader.zombie = true;  // ended with SYS_exit; the kernel keeps it
  ReplayTask& worker = table.Add(Task(101, 100, 5001, first));
  ReplayTask& child = table.Add(Task(200, 200, 6000, second));
  EXPECT_EQ(table.AnyIn(*first, nullptr), &worker.tracee);
  EXPECT_EQ(table.AnyIn(*first, &leader), &leader.tracee);
  EXPECT_EQ(table.AnyIn(*first, &child), &worker.tracee);  // not in `first`
  EXPECT_EQ(table.AnyIn(*second, nullptr), &child.tracee);
  EXPECT_EQ(table.AnyIn(AddressSpace(), nullptr), nullptr);
}

TEST(ThreadTableTest, RemovesOneTaskOrAWholeProcessInCreationOrder) {
  ThreadTable table;
  auto mm = std::make_shared<AddressSpace>();
  table.Add(Task(100, 100, 5000, mm));
  ReplayTask& thread = table.Add(Task(101, 100, 5001, mm));
  table.Add(Task(200, 200, 6000, std::make_shared<AddressSpace>()));
  table.Add(Task(102, 100, 5002, mm));
  table.Remove(&thread);
  EXPECT_EQ(table.Find(RecordedTid(101)), nullptr);
  std::vector<pid_t> order;
  for (const auto& t : table) order.push_back(t->tid);
  EXPECT_EQ(order, (std::vector<pid_t>{100, 200, 102}));
  table.RemoveIf([](const ReplayTask& t) { return t.tgid == 100; });
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table.front().tid, 200);
}

}  // namespace
}  // namespace rwd::replayer
