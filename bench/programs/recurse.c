/*
 * recurse.c — call-heavy recursion: naive Fibonacci, Ackermann, and
 * building and folding a binary tree.
 *
 * The one thing to know: nearly every block ends in a call or a return, so
 * this measures call/return handling (return-address prediction).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static long ack(long m, long n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

typedef struct Tree { struct Tree *l, *r; long v; } Tree;

static Tree *build(int depth, long v)
{
    Tree *t = malloc(sizeof(*t));
    t->v = v;
    t->l = depth ? build(depth - 1, 2 * v) : NULL;
    t->r = depth ? build(depth - 1, 2 * v + 1) : NULL;
    return t;
}

static long fold(const Tree *t) { return t ? t->v ^ (fold(t->l) + 3 * fold(t->r)) : 0; }

static void release(Tree *t)
{
    if (t) { release(t->l); release(t->r); free(t); }
}

int main(void)
{
    long f = fib(35);
    long a = ack(2, 2000) + ack(3, 6);
    long s = 0;
    for (int i = 0; i < 6; i++) {
        Tree *t = build(16, i);
        s += fold(t);
        release(t);
    }
    printf("recurse fib %ld ack %ld tree %ld\n", f, a, s);
    return 0;
}
