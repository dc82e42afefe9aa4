package dev.ddpm.core.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The verdict on a candidate: not worse than production beyond a margin on every quality figure
 * both were measured on. The figures and which way is better:
 * <ul>
 *   <li>{@code quality_fld} (Frechet distance in the data set classifier's features): lower; the
 *       candidate may be at most {@code margin} (relative) higher;
 *   <li>{@code quality_pixel_fd} (Frechet distance of downsampled pixels, for data sets without
 *       labels): lower, relative margin;
 *   <li>{@code quality_recognisable} (share the classifier calls a class with confidence): higher;
 *       at most {@code margin} (absolute) lower;
 *   <li>{@code quality_nearest_train} (median distance to the nearest training image; smaller is
 *       closer to copying): higher; at most {@code margin} (relative) lower. A candidate that is still
 *       as far from the training images as real images are ({@code quality_real_nearest_train}, where
 *       measured) is not copying: a model that learned more than production is closer to the data, so
 *       the bound is at most the real images' own figure less the margin.
 * </ul>
 * With no figure measured on both the candidate does not pass: nothing shows it is not worse.
 */
public final class QualityGate {

    /**
     * A figure the gate compares: its name, whether higher is better, whether its margin is relative,
     * and the figure (of the candidate's measurement; null: none) beyond which it is good enough however
     * production measured.
     */
    public record Figure(String metric, boolean higherIsBetter, boolean relative, String enough) {
        public Figure(String metric, boolean higherIsBetter, boolean relative) {
            this(metric, higherIsBetter, relative, null);
        }
    }

    public static final List<Figure> FIGURES = List.of(
            new Figure("quality_fld", false, true),
            new Figure("quality_pixel_fd", false, true),
            new Figure("quality_recognisable", true, false),
            new Figure("quality_nearest_train", true, true, "quality_real_nearest_train"));

    private QualityGate() {}

    /** The verdict on {@code candidate}'s figures against {@code production}'s, measured on {@code probe}. */
    public static Evaluation compare(
            String productionVersion,
            String probe,
            Map<String, Double> candidate,
            Map<String, Double> production,
            double margin) {
        List<String> worse = new ArrayList<>();
        List<String> held = new ArrayList<>();
        for (Figure figure : FIGURES) {
            Double c = candidate.get(figure.metric());
            Double p = production.get(figure.metric());
            if (c == null || p == null || !Double.isFinite(c) || !Double.isFinite(p)) {
                continue;
            }
            double bound = bound(figure, p, margin);
            Double enough = figure.enough() == null ? null : candidate.get(figure.enough());
            if (enough != null && Double.isFinite(enough)) {
                double enoughBound = bound(figure, enough, margin);
                bound = figure.higherIsBetter() ? Math.min(bound, enoughBound) : Math.max(bound, enoughBound);
            }
            boolean ok = figure.higherIsBetter() ? c >= bound : c <= bound;
            String line = String.format(
                    Locale.ROOT,
                    "%s %.4g vs production %.4g (%s %.4g)",
                    figure.metric(),
                    c,
                    p,
                    figure.higherIsBetter() ? "at least" : "at most",
                    bound);
            (ok ? held : worse).add(line);
        }
        boolean passed = worse.isEmpty() && !held.isEmpty();
        String reason;
        if (held.isEmpty() && worse.isEmpty()) {
            reason = "no quality figure was measured on both the candidate and production " + productionVersion;
        } else if (passed) {
            reason = "not worse than production " + productionVersion + " beyond the margin " + margin + ": "
                    + String.join("; ", held);
        } else {
            reason = "worse than production " + productionVersion + " beyond the margin " + margin + ": "
                    + String.join("; ", worse);
        }
        return new Evaluation(productionVersion, probe, candidate, production, margin, passed, reason);
    }

    private static double bound(Figure figure, double production, double margin) {
        if (!figure.relative()) {
            return figure.higherIsBetter() ? production - margin : production + margin;
        }
        double slack = Math.abs(production) * margin;
        return figure.higherIsBetter() ? production - slack : production + slack;
    }
}
