/*
 * listmat.c — integer and control flow, in the manner of CoreMark: linked
 * list reversal and search, small integer matrix products, and a state
 * machine scanning text, with a CRC over the results.
 *
 * The one thing to know: the work is fixed by ROUNDS and every result feeds
 * the printed checksum, so no emulator can skip any of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 12000
#define LIST_LEN 400
#define N 24

typedef struct Node {
    struct Node *next;
    int32_t key, val;
} Node;

static uint16_t crc16(uint16_t crc, uint32_t v)
{
    for (int i = 0; i < 32; i++) {
        unsigned bit = ((crc >> 15) ^ (v >> i)) & 1;
        crc = (uint16_t)((crc << 1) ^ (bit ? 0x1021 : 0));
    }
    return crc;
}

static Node *list_reverse(Node *h)
{
    Node *prev = NULL;
    while (h) {
        Node *n = h->next;
        h->next = prev;
        prev = h;
        h = n;
    }
    return prev;
}

static int32_t list_find(const Node *h, int32_t key)
{
    for (int32_t i = 0; h; h = h->next, i++) {
        if (h->key == key) {
            return i;
        }
    }
    return -1;
}

static void matmul(int32_t c[N][N], int32_t a[N][N], int32_t b[N][N])
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++) {
                s += a[i][k] * b[k][j];
            }
            c[i][j] = s;
        }
    }
}

enum { S_START, S_INT, S_FRAC, S_EXP, S_SIGN, S_ERR };

/* Classifies the numbers in text; returns a count per final state. */
static uint32_t scan(const char *text, uint32_t counts[6])
{
    int s = S_START;
    uint32_t transitions = 0;
    for (const char *p = text;; p++) {
        char ch = *p;
        if (ch == ',' || ch == 0) {
            counts[s]++;
            s = S_START;
            if (!ch) {
                break;
            }
            continue;
        }
        int ns = s;
        switch (s) {
        case S_START: ns = (ch >= '0' && ch <= '9') ? S_INT : (ch == '-' || ch == '+') ? S_SIGN : ch == '.' ? S_FRAC : S_ERR; break;
        case S_SIGN: ns = (ch >= '0' && ch <= '9') ? S_INT : ch == '.' ? S_FRAC : S_ERR; break;
        case S_INT: ns = (ch >= '0' && ch <= '9') ? S_INT : ch == '.' ? S_FRAC : (ch == 'e' || ch == 'E') ? S_EXP : S_ERR; break;
        case S_FRAC: ns = (ch >= '0' && ch <= '9') ? S_FRAC : (ch == 'e' || ch == 'E') ? S_EXP : S_ERR; break;
        case S_EXP: ns = (ch >= '0' && ch <= '9') ? S_EXP : S_ERR; break;
        default: break;
        }
        transitions += ns != s;
        s = ns;
    }
    return transitions;
}

int main(void)
{
    static Node nodes[LIST_LEN];
    static int32_t a[N][N], b[N][N], c[N][N];
    static char text[4096];
    uint32_t seed = 12345;
    for (int i = 0; i < LIST_LEN; i++) {
        seed = seed * 1103515245u + 12345u;
        nodes[i].key = (int32_t)(seed >> 8) % 1000;
        nodes[i].val = i;
        nodes[i].next = i + 1 < LIST_LEN ? &nodes[i + 1] : NULL;
    }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            a[i][j] = (i * 7 + j * 3) % 17 - 8;
            b[i][j] = (i * 5 + j * 11) % 13 - 6;
        }
    }
    const char *pieces[] = { "123", "-4.5e7", "+.5", "12a", "3.14159", "-", "9e", "0.0001", "77E3" };
    size_t len = 0;
    for (int i = 0; len + 16 < sizeof(text); i++) {
        for (const char *q = pieces[(i * 7) % 9]; *q; q++) {
            text[len++] = *q;
        }
        text[len++] = ',';
    }
    text[len - 1] = 0;

    uint16_t crc = 0;
    Node *head = &nodes[0];
    for (int r = 0; r < ROUNDS; r++) {
        head = list_reverse(head);
        crc = crc16(crc, (uint32_t)list_find(head, (r * 37) % 1000));
        matmul(c, a, b);
        a[r % N][(r * 3) % N] += c[(r * 5) % N][(r * 7) % N] & 7;
        crc = crc16(crc, (uint32_t)c[r % N][(r + 1) % N]);
        uint32_t counts[6] = { 0 };
        crc = crc16(crc, scan(text, counts));
        crc = crc16(crc, counts[S_INT] * 3 + counts[S_ERR]);
    }
    printf("listmat crc 0x%04x\n", crc);
    return 0;
}
