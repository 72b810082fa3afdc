// The classic time-travel bug: a buggy function writes a bad value into a
// heap object early on; the program crashes (SIGSEGV) much later when the
// field is used. Reverse-watching `g_accounts[2]->owner` from the crash
// finds the bad write in CloseAccount.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Owner {
  char name[16];
  int id;
};

struct Account {
  int number;
  long balance;
  struct Owner* owner;
};

enum { kAccounts = 4, kRounds = 5000 };

struct Account* g_accounts[kAccounts];

static struct Account* OpenAccount(int number, const char* name) {
  struct Account* account = calloc(1, sizeof(*account));
  account->number = number;
  account->owner = calloc(1, sizeof(*account->owner));
  snprintf(account->owner->name, sizeof(account->owner->name), "%s", name);
  account->owner->id = 100 + number;
  return account;
}

// The bug: closing an account poisons its owner pointer, but the account
// stays in g_accounts and its owner is looked up again at the end.
static void CloseAccount(int number) {
  struct Account* account = g_accounts[number];
  account->balance = 0;
  account->owner = (struct Owner*)0x10;
}

static void Interest(void) {
  for (int i = 0; i < kAccounts; ++i) g_accounts[i]->balance += g_accounts[i]->balance / 100 + 1;
}

static long OwnerId(const struct Account* account) { return account->owner->id; }

int main(void) {
  static const char* const kNames[kAccounts] = {"ada", "brian", "grace", "linus"};
  for (int i = 0; i < kAccounts; ++i) g_accounts[i] = OpenAccount(i, kNames[i]);
  printf("heap_corrupt: opened %d accounts\n", kAccounts);
  CloseAccount(2);
  for (int round = 0; round < kRounds; ++round) Interest();
  printf("heap_corrupt: %d rounds of interest\n", kRounds);
  fflush(stdout);
  long sum = 0;
  for (int i = 0; i < kAccounts; ++i) sum += OwnerId(g_accounts[i]);
  printf("heap_corrupt: owner id sum %ld\n", sum);
  return 0;
}
