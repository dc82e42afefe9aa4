package dev.ddpm.trainer.data;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The emoji loader on a small generated sheet and index in emoji-datasource's layout (no network). */
class EmojiSheetTest {

    @TempDir
    Path dir;

    /** A 3 x 2 sheet: a red square at (0,0), a blue one at (1,0), a green one at (2,1); transparent elsewhere. */
    private void sheet(String index) throws IOException {
        BufferedImage sheet =
                new BufferedImage(3 * EmojiSheet.PITCH, 2 * EmojiSheet.PITCH, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = sheet.createGraphics();
        fill(g, 0, 0, Color.RED);
        fill(g, 1, 0, Color.BLUE);
        fill(g, 2, 1, new Color(0, 255, 0, 128)); // half transparent
        g.dispose();
        ImageIO.write(sheet, "png", dir.resolve(EmojiSheet.SHEET).toFile());
        Files.writeString(dir.resolve(EmojiSheet.INDEX), index);
    }

    /** The tile's centre 16x16 painted; its border and the sheet's padding stay transparent. */
    private static void fill(Graphics2D g, int sheetX, int sheetY, Color color) {
        g.setColor(color);
        g.fillRect(sheetX * EmojiSheet.PITCH + 1 + 8, sheetY * EmojiSheet.PITCH + 1 + 8, 16, 16);
    }

    private static final String INDEX = """
            [{"short_name":"red","sheet_x":0,"sheet_y":0,"category":"Symbols","has_img_google":true,
              "skin_variations":{"1F3FB":{"sheet_x":2,"sheet_y":0,"has_img_google":true}}},
             {"short_name":"blue","sheet_x":1,"sheet_y":0,"category":"Flags","has_img_google":true},
             {"short_name":"apple-only","sheet_x":0,"sheet_y":1,"category":"Objects","has_img_google":false},
             {"short_name":"green","sheet_x":2,"sheet_y":1,"category":"Symbols","has_img_google":true}]
            """;

    @Test
    void tilesAreCutCompositedOnWhiteAndLabelledByCategory() throws IOException {
        sheet(INDEX);
        EmojiSheet.Labelled set = EmojiSheet.read(dir, 3, 32, 100);
        // Three top-level tiles with a Google image; the skin-tone variant and the Apple-only one are not read.
        assertThat(set.images()).hasSize(3);
        assertThat(set.categories()).containsExactly("Flags", "Objects", "Symbols");
        assertThat(set.labels()).containsExactly(2, 0, 2);
        float[] red = set.images().get(0);
        int centre = 16 * 32 + 16;
        int plane = 32 * 32;
        assertThat(red[centre]).isCloseTo(1f, within(1e-6f)); // R
        assertThat(red[plane + centre]).isCloseTo(-1f, within(1e-6f)); // G
        assertThat(red[2 * plane + centre]).isCloseTo(-1f, within(1e-6f));
        // Transparent around the glyph: the white background, not black.
        for (int c = 0; c < 3; c++) {
            assertThat(red[c * plane]).isCloseTo(1f, within(1e-6f));
        }
        // Half-transparent green over white: (127, 255, 127) or so.
        float[] green = set.images().get(2);
        assertThat(green[centre]).isCloseTo(0f, within(0.02f));
        assertThat(green[plane + centre]).isCloseTo(1f, within(1e-6f));
        // The data set reader takes such a folder as the emoji set, not the sheet as one picture.
        assertThat(new DatasetReader(3, 32).read(dir).size()).isEqualTo(3);
        assertThat(new DatasetReader(3, 16).read(dir).image(0)).hasSize(3 * 16 * 16);
        // With the categories as labels (only those of tiles read).
        Labels labels = new DatasetReader(3, 32).read(dir).labels().orElseThrow();
        assertThat(labels.classes()).containsExactly("Flags", "Symbols");
        assertThat(labels.ofImage()).containsExactly(1, 0, 1);
    }

    @Test
    void anArchiveHoldingTheSheetAndItsIndexIsReadAsTheEmojiSet() throws IOException {
        sheet(INDEX);
        Path tar = dir.resolve("emoji.tar.gz");
        try (TarArchiveOutputStream out =
                new TarArchiveOutputStream(new GzipCompressorOutputStream(Files.newOutputStream(tar)))) {
            for (String name : new String[] {EmojiSheet.SHEET, EmojiSheet.INDEX}) {
                byte[] data = Files.readAllBytes(dir.resolve(name));
                TarArchiveEntry entry = new TarArchiveEntry("emoji/" + name);
                entry.setSize(data.length);
                out.putArchiveEntry(entry);
                out.write(data);
                out.closeArchiveEntry();
            }
        }
        InMemoryImageSet set = new DatasetReader(3, 32).read(tar);
        assertThat(set.size())
                .as("the three tiles, not the sheet as one picture")
                .isEqualTo(3);
        assertThat(set.labels().orElseThrow().classes()).containsExactly("Flags", "Symbols");
        assertThat(set.image(1))
                .containsExactly(new DatasetReader(3, 32).read(dir).image(1));
    }

    @Test
    void aBrokenIndexOrTooManyTilesFailWithTheReason() throws IOException {
        sheet(
                "[{\"short_name\":\"far\",\"sheet_x\":7,\"sheet_y\":0,\"category\":\"Symbols\",\"has_img_google\":true}]");
        assertThatThrownBy(() -> EmojiSheet.read(dir, 3, 32, 100))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("emoji far is outside the 102x68 sheet");
        sheet("{\"not\":\"a list\"}");
        assertThatThrownBy(() -> EmojiSheet.read(dir, 3, 32, 100))
                .hasMessageContaining("is not emoji-datasource's list");
        sheet(INDEX);
        assertThatThrownBy(() -> EmojiSheet.read(dir, 3, 32, 2))
                .hasMessageContaining("more than the limit of 2 images");
    }
}
