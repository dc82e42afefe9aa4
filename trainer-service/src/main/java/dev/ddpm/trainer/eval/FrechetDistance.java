package dev.ddpm.trainer.eval;

/**
 * The Frechet distance between two Gaussians fitted to feature sets (the formula of FID, Heusel et
 * al. 2017): ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)). The trace of the matrix square root is
 * computed as the sum of the square roots of the eigenvalues of S1^(1/2) S2 S1^(1/2), which is
 * symmetric positive semi-definite, with a Jacobi eigensolver: exact enough for feature sizes of a
 * few hundred and free of any numeric library.
 */
public final class FrechetDistance {

    private FrechetDistance() {}

    /** @param a rows are samples, columns features; @param b the same feature columns */
    public static double between(double[][] a, double[][] b) {
        if (a.length < 2 || b.length < 2) {
            throw new IllegalArgumentException(
                    "need at least two samples on each side, got " + a.length + " and " + b.length);
        }
        int d = a[0].length;
        if (b[0].length != d) {
            throw new IllegalArgumentException("feature sizes differ: " + d + " and " + b[0].length);
        }
        double[] muA = mean(a);
        double[] muB = mean(b);
        double[][] covA = covariance(a, muA);
        double[][] covB = covariance(b, muB);
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            meanTerm += (muA[i] - muB[i]) * (muA[i] - muB[i]);
        }
        double[][] rootA = symmetricSqrt(covA);
        double[][] middle = multiply(multiply(rootA, covB), rootA);
        double traceRoot = 0;
        for (double eigenvalue : eigenvalues(middle)) {
            traceRoot += Math.sqrt(Math.max(0, eigenvalue));
        }
        return Math.max(0, meanTerm + trace(covA) + trace(covB) - 2 * traceRoot);
    }

    static double[] mean(double[][] x) {
        double[] mu = new double[x[0].length];
        for (double[] row : x) {
            for (int j = 0; j < mu.length; j++) {
                mu[j] += row[j];
            }
        }
        for (int j = 0; j < mu.length; j++) {
            mu[j] /= x.length;
        }
        return mu;
    }

    /** Unbiased sample covariance. */
    static double[][] covariance(double[][] x, double[] mu) {
        int d = mu.length;
        double[][] cov = new double[d][d];
        for (double[] row : x) {
            for (int i = 0; i < d; i++) {
                double di = row[i] - mu[i];
                for (int j = i; j < d; j++) {
                    cov[i][j] += di * (row[j] - mu[j]);
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                cov[i][j] /= (x.length - 1);
                cov[j][i] = cov[i][j];
            }
        }
        return cov;
    }

    /** V diag(sqrt(max(lambda, 0))) V^T of a symmetric matrix. */
    static double[][] symmetricSqrt(double[][] s) {
        int d = s.length;
        double[][] vectors = new double[d][d];
        double[] values = jacobi(copy(s), vectors);
        double[][] root = new double[d][d];
        for (int k = 0; k < d; k++) {
            double r = Math.sqrt(Math.max(0, values[k]));
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    root[i][j] += vectors[i][k] * r * vectors[j][k];
                }
            }
        }
        return root;
    }

    static double[] eigenvalues(double[][] s) {
        return jacobi(copy(s), new double[s.length][s.length]);
    }

    /**
     * Cyclic Jacobi rotations on a symmetric matrix (destroyed); returns the eigenvalues and fills
     * {@code vectors} with the eigenvectors as columns.
     */
    private static double[] jacobi(double[][] a, double[][] vectors) {
        int n = a.length;
        for (int i = 0; i < n; i++) {
            vectors[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p][q] * a[p][q];
                }
            }
            if (off < 1e-22) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (Math.abs(a[p][q]) < 1e-300) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = vectors[k][p];
                        double vkq = vectors[k][q];
                        vectors[k][p] = c * vkp - s * vkq;
                        vectors[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = a[i][i];
        }
        return values;
    }

    private static double[][] multiply(double[][] x, double[][] y) {
        int n = x.length;
        int m = y[0].length;
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < y.length; k++) {
                double xik = x[i][k];
                for (int j = 0; j < m; j++) {
                    out[i][j] += xik * y[k][j];
                }
            }
        }
        return out;
    }

    private static double trace(double[][] s) {
        double sum = 0;
        for (int i = 0; i < s.length; i++) {
            sum += s[i][i];
        }
        return sum;
    }

    private static double[][] copy(double[][] s) {
        double[][] c = new double[s.length][];
        for (int i = 0; i < s.length; i++) {
            c[i] = s[i].clone();
        }
        return c;
    }
}
