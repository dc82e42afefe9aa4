package dev.ddpm.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A colour data set of emoji: the sheet of the npm package {@code emoji-datasource-google}
 * ({@code img/google/sheets/32.png}: 32x32 tiles with 1 pixel of padding around each, 34 pixels
 * apart) and its {@code emoji.json}, which names each tile's {@code sheet_x}, {@code sheet_y} and
 * {@code category}. Only the top-level entries are read (skin-tone variants are nested under
 * them), those with {@code has_img_google}. Tiles are transparent around the glyph, so each is
 * composited on a fixed white background before it is scaled to the model's size; the category is
 * the label. {@code scripts/fetch-emoji.sh} puts both files in a folder.
 */
public final class EmojiSheet {

    /** The files a folder must hold to be read as an emoji sheet. */
    public static final String INDEX = "emoji.json";

    public static final String SHEET = "sheet-32.png";
    static final int TILE = 32;
    static final int PITCH = TILE + 2;
    static final int BACKGROUND = 0xFFFFFF;

    /** The tiles as images (C x size x size in [-1, 1]), each with its category's index. */
    public record Labelled(List<float[]> images, int[] labels, List<String> categories) {}

    private EmojiSheet() {}

    public static boolean describes(Path folder) {
        return Files.isRegularFile(folder.resolve(INDEX)) && Files.isRegularFile(folder.resolve(SHEET));
    }

    /**
     * @throws DatasetException when the index is not emoji-datasource's, or names tiles outside the sheet
     */
    public static Labelled read(Path folder, int channels, int size, int maxImages) {
        try {
            return read(
                    folder.toString(),
                    Files.readAllBytes(folder.resolve(INDEX)),
                    Files.readAllBytes(folder.resolve(SHEET)),
                    channels,
                    size,
                    maxImages);
        } catch (IOException e) {
            throw new DatasetException("cannot read the emoji sheet in " + folder + ": " + e.getMessage(), e);
        }
    }

    /** The same from the two files' bytes (entries of an archive); {@code source} names them in errors. */
    public static Labelled read(
            String source, byte[] indexBytes, byte[] sheetBytes, int channels, int size, int maxImages) {
        JsonNode index;
        BufferedImage sheet;
        try {
            index = new ObjectMapper().readTree(indexBytes);
            sheet = ImageIO.read(new ByteArrayInputStream(sheetBytes));
        } catch (IOException e) {
            throw new DatasetException("cannot read the emoji sheet in " + source + ": " + e.getMessage(), e);
        }
        if (sheet == null) {
            throw new DatasetException(SHEET + " in " + source + " is not a PNG");
        }
        if (index == null || !index.isArray()) {
            throw new DatasetException(INDEX + " in " + source + " is not emoji-datasource's list of emoji");
        }
        String folder = source;
        TreeSet<String> names = new TreeSet<>();
        index.forEach(e -> names.add(e.path("category").asText("Unknown")));
        List<String> categories = new ArrayList<>(names);
        List<float[]> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (JsonNode entry : index) {
            if (!entry.path("has_img_google").asBoolean(false)) {
                continue;
            }
            int x = entry.path("sheet_x").asInt(-1) * PITCH + 1;
            int y = entry.path("sheet_y").asInt(-1) * PITCH + 1;
            if (x < 1 || y < 1 || x + TILE > sheet.getWidth() || y + TILE > sheet.getHeight()) {
                throw new DatasetException("emoji " + entry.path("short_name").asText("?") + " is outside the "
                        + sheet.getWidth() + "x" + sheet.getHeight() + " sheet (sheet_x " + entry.path("sheet_x")
                        + ", sheet_y " + entry.path("sheet_y") + ")");
            }
            if (images.size() >= maxImages) {
                throw new DatasetException(
                        "emoji sheet " + folder + " has more than the limit of " + maxImages + " images");
            }
            images.add(Pixels.fromImage(onBackground(sheet.getSubimage(x, y, TILE, TILE)), channels, size));
            labels.add(categories.indexOf(entry.path("category").asText("Unknown")));
        }
        if (images.isEmpty()) {
            throw new DatasetException("emoji sheet " + folder + " has no tile with has_img_google");
        }
        return new Labelled(images, labels.stream().mapToInt(Integer::intValue).toArray(), categories);
    }

    /** The tile's pixels alpha-composited over the white background. */
    static BufferedImage onBackground(BufferedImage tile) {
        BufferedImage out = new BufferedImage(tile.getWidth(), tile.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(new Color(BACKGROUND));
        g.fillRect(0, 0, tile.getWidth(), tile.getHeight());
        g.drawImage(tile, 0, 0, null);
        g.dispose();
        return out;
    }
}
