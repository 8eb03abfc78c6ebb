/*
 * bytecode.c — a small stack-machine interpreter running a program that
 * computes primes with a sieve and sums a recursive function: indirect
 * jumps (the dispatch switch) and indirect calls (the builtin table).
 *
 * The one thing to know: this is the workload where a translator's handling
 * of indirect branches decides the speed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, LT, JZ, JMP, CALLB, DUP, DROP, HALT, ALOAD, ASTORE, INC };

typedef int64_t (*Builtin)(int64_t);

static int64_t b_square(int64_t x) { return x * x; }
static int64_t b_half(int64_t x) { return x >> 1; }
static int64_t b_collatz(int64_t x) { return (x & 1) ? 3 * x + 1 : x / 2; }
static const Builtin builtins[] = { b_square, b_half, b_collatz };

static int64_t run(const int32_t *code, int64_t *vars, int64_t *arr)
{
    int64_t stack[64];
    int sp = 0;
    for (int pc = 0;;) {
        int32_t op = code[pc++];
        switch (op) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = vars[code[pc++]]; break;
        case STORE: vars[code[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case JZ: if (!stack[--sp]) pc = code[pc]; else pc++; break;
        case JMP: pc = code[pc]; break;
        case CALLB: stack[sp - 1] = builtins[code[pc++]](stack[sp - 1]); break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case DROP: sp--; break;
        case ALOAD: stack[sp - 1] = arr[stack[sp - 1]]; break;
        case ASTORE: sp -= 2; arr[stack[sp + 1]] = stack[sp]; break;
        case INC: vars[code[pc++]]++; break;
        case HALT: return stack[sp - 1];
        }
    }
}

int main(void)
{
    /* v0 = i, v1 = j, v2 = count, v3 = acc; arr = sieve of size 30000 */
    enum { SIZE = 30000 };
    static const int32_t prog[] = {
        /* 0 */ PUSH, 2, STORE, 0,
        /* 4: outer loop while i < SIZE */
        LOAD, 0, PUSH, SIZE, LT, JZ, 51,
        /* 11: if arr[i] == 0: count++, j = i*i... */
        LOAD, 0, ALOAD, JZ, 18, JMP, 47,
        /* 18 */ INC, 2, LOAD, 0, DUP, MUL, STORE, 1,
        /* 26: inner while j < SIZE: arr[j] = 1; j += i */
        LOAD, 1, PUSH, SIZE, LT, JZ, 47,
        PUSH, 1, LOAD, 1, ASTORE,
        LOAD, 1, LOAD, 0, ADD, STORE, 1, JMP, 26,
        /* 47 */ INC, 0, JMP, 4,
        /* 51: acc = sum of collatz steps of count */
        LOAD, 2, CALLB, 2, CALLB, 0, CALLB, 1, LOAD, 3, ADD, HALT,
    };
    static int64_t arr[SIZE];
    int64_t total = 0;
    for (int r = 0; r < 100; r++) {
        int64_t vars[4] = { 0, 0, 0, r };
        memset(arr, 0, sizeof(arr));
        total += run(prog, vars, arr);
    }
    printf("bytecode total %lld\n", (long long)total);
    return 0;
}
