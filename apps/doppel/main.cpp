#include <cstdio>
int main() { std::puts("doppel " DOPPEL_VERSION); return 0; }
