package dev.ddpm.core.image;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageEncodingTest {

    @Test
    void pixelValuesMapBackToBytes() {
        assertThat(ImageEncoding.toByte(-1f)).isZero();
        assertThat(ImageEncoding.toByte(1f)).isEqualTo(255);
        assertThat(ImageEncoding.toByte(0f)).isEqualTo(128);
        assertThat(ImageEncoding.toByte(7f)).isEqualTo(255);
        assertThat(ImageEncoding.toByte(-3f)).isZero();
    }

    @Test
    void rgbImageRoundTripsThroughPng() throws IOException {
        float[] image = new float[3 * 4]; // 2x2 RGB
        Arrays.fill(image, 0, 4, 1f); // red plane full
        Arrays.fill(image, 4, 12, -1f);
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(ImageEncoding.png(image, 3, 2)));
        assertThat(decoded.getWidth()).isEqualTo(2);
        assertThat(decoded.getRGB(1, 1) & 0xFFFFFF).isEqualTo(0xFF0000);
    }

    @Test
    void gridTilesImagesRowByRowWithPadding() {
        float[] white = new float[4];
        Arrays.fill(white, 1f);
        float[] black = new float[] {-1, -1, -1, -1};
        BufferedImage grid = ImageEncoding.grid(List.of(white, black, white), 1, 2, 2, 1);
        assertThat(grid.getWidth()).isEqualTo(2 * 2 + 3);
        assertThat(grid.getHeight()).isEqualTo(2 * 2 + 3);
        assertThat(grid.getRGB(1, 1) & 0xFFFFFF).isEqualTo(0xFFFFFF); // first tile
        assertThat(grid.getRGB(4, 1) & 0xFFFFFF).isEqualTo(0x000000); // second tile
        assertThat(grid.getRGB(1, 4) & 0xFFFFFF).isEqualTo(0xFFFFFF); // third tile, next row
        assertThat(grid.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0x000000); // padding
    }

    @Test
    void wrongSizesAreRefused() {
        assertThatThrownBy(() -> ImageEncoding.grid(List.of(new float[5]), 1, 2, 1, 0))
                .hasMessageContaining("image 0 has 5 values, expected 4");
        assertThatThrownBy(() -> ImageEncoding.grid(List.of(), 1, 2, 1, 0)).hasMessageContaining("at least one");
    }

    @Test
    void animationKeepsEveryFrameAndLoops() throws IOException {
        List<BufferedImage> frames = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            float[] image = new float[16];
            Arrays.fill(image, -1f + k * 0.5f);
            frames.add(ImageEncoding.grid(List.of(image), 1, 4, 1, 0));
        }
        byte[] gif = ImageEncoding.gif(frames, 8, 150);
        try (var in = ImageIO.createImageInputStream(new ByteArrayInputStream(gif))) {
            var reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            assertThat(reader.getNumImages(true)).isEqualTo(5);
            assertThat(reader.read(4).getRGB(0, 0) & 0xff).isEqualTo(255); // the last frame is white
            assertThat(reader.read(0).getRGB(0, 0) & 0xff).isZero(); // the first black
        }
        // NETSCAPE2.0 application extension: the animation loops.
        assertThat(new String(gif, StandardCharsets.ISO_8859_1)).contains("NETSCAPE2.0");
    }
}
