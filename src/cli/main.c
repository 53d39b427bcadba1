#include <stdio.h>
int main(void) { puts("vmon " VMON_VERSION); return 0; }
