/* Target of the uprobe fixtures: a function with integer and string arguments, called a few times. */
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) int ringside_probe_target(int number, long wide, const char *text) {
    return number * 2 + (int)wide + (int)strlen(text);
}

int main(void) {
    static const char *texts[] = {"alpha", "h\xc3\xa9llo w\xc3\xb6rld", "z"};
    int sum = 0;
    for (int i = 0; i < 3; i++) sum += ringside_probe_target(i - 1, 1000L * i, texts[i]);
    printf("%d\n", sum);
    return 0;
}
