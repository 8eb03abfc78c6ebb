/*
 * fft.c — floating point: an iterative radix-2 complex FFT and its inverse
 * over 64K points, plus a dense double matrix product.
 *
 * The one thing to know: sin/cos come from libm once per size (the twiddle
 * table), so the loop is adds, multiplies and loads/stores of doubles.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N (1 << 16)
#define M 96

static void fft(double *re, double *im, const double *cw, const double *sw, int inverse)
{
    for (int i = 1, j = 0; i < N; i++) {
        int bit = N >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (int len = 2; len <= N; len <<= 1) {
        int step = N / len;
        for (int i = 0; i < N; i += len) {
            for (int k = 0; k < len / 2; k++) {
                double wr = cw[k * step], wi = inverse ? -sw[k * step] : sw[k * step];
                double ur = re[i + k], ui = im[i + k];
                double vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
                double vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
                re[i + k] = ur + vr; im[i + k] = ui + vi;
                re[i + k + len / 2] = ur - vr; im[i + k + len / 2] = ui - vi;
            }
        }
    }
}

int main(void)
{
    double *re = malloc(N * sizeof(double)), *im = malloc(N * sizeof(double));
    double *cw = malloc(N / 2 * sizeof(double)), *sw = malloc(N / 2 * sizeof(double));
    static double a[M][M], b[M][M], c[M][M];
    for (int k = 0; k < N / 2; k++) {
        cw[k] = cos(-2 * 3.141592653589793 * k / N);
        sw[k] = sin(-2 * 3.141592653589793 * k / N);
    }
    for (int i = 0; i < N; i++) {
        re[i] = (double)((i * 7919) % 1000) / 1000.0;
        im[i] = 0;
    }
    double err = 0;
    for (int r = 0; r < 6; r++) {
        fft(re, im, cw, sw, 0);
        fft(re, im, cw, sw, 1);
        for (int i = 0; i < N; i++) {
            re[i] /= N;
            im[i] /= N;
        }
    }
    for (int i = 0; i < N; i++) err += fabs(re[i] - (double)((i * 7919) % 1000) / 1000.0);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            a[i][j] = (i + 1.0) / (j + 2.0);
            b[i][j] = (i - j) * 0.25;
        }
    double tr = 0;
    for (int r = 0; r < 12; r++) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++) {
                double s = 0;
                for (int k = 0; k < M; k++) s += a[i][k] * b[k][j];
                c[i][j] = s;
            }
        a[r][r] += c[M - 1 - r][r] * 1e-6;
        tr += c[r][r];
    }
    printf("fft round-trip error %.6e matmul trace %.9e\n", err, tr);
    return 0;
}
