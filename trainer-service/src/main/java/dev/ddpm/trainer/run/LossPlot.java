package dev.ddpm.trainer.run;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/** The loss curve of a run as a small PNG-ready chart (log-scale loss against step). */
final class LossPlot {

    private LossPlot() {}

    record Point(long step, double loss) {}

    static BufferedImage draw(List<Point> points, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int margin = 40;
        g.setColor(Color.GRAY);
        g.drawRect(margin, 10, width - margin - 10, height - margin - 10);
        List<Point> finite = points.stream()
                .filter(p -> Double.isFinite(p.loss()) && p.loss() > 0)
                .toList();
        if (finite.size() >= 2) {
            double minLog =
                    finite.stream().mapToDouble(p -> Math.log10(p.loss())).min().orElse(0);
            double maxLog =
                    finite.stream().mapToDouble(p -> Math.log10(p.loss())).max().orElse(1);
            if (maxLog - minLog < 1e-9) {
                maxLog = minLog + 1;
            }
            long first = finite.get(0).step();
            long last = finite.get(finite.size() - 1).step();
            double plotW = width - margin - 10;
            double plotH = height - margin - 10;
            g.setColor(new Color(0x1f77b4));
            g.setStroke(new BasicStroke(1.5f));
            int prevX = -1;
            int prevY = -1;
            for (Point p : finite) {
                int x = margin + (int) Math.round(plotW * (p.step() - first) / Math.max(1, last - first));
                int y = 10 + (int) Math.round(plotH * (maxLog - Math.log10(p.loss())) / (maxLog - minLog));
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, x, y);
                }
                prevX = x;
                prevY = y;
            }
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format("%.3g", Math.pow(10, maxLog)), 2, 20);
            g.drawString(String.format("%.3g", Math.pow(10, minLog)), 2, height - margin);
            g.drawString("step " + first, margin, height - margin / 2);
            g.drawString("step " + last, width - 80, height - margin / 2);
        }
        g.dispose();
        return image;
    }
}
