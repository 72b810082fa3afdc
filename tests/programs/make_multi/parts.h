int Twice(int x);
