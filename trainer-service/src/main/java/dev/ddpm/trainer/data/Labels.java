package dev.ddpm.trainer.data;

import java.util.List;

/**
 * The class of every image of a data set: the digit of an MNIST image, the category of an emoji,
 * CIFAR-10's label byte, or the sub-folder an image sits in (as torchvision's ImageFolder).
 *
 * @param ofImage the index into {@code classes} of each image, in the data set's order
 * @param classes the class names, sorted
 */
public record Labels(int[] ofImage, List<String> classes) {

    public Labels {
        classes = List.copyOf(classes);
        for (int label : ofImage) {
            if (label < 0 || label >= classes.size()) {
                throw new IllegalArgumentException(
                        "label " + label + " is not one of the " + classes.size() + " classes");
            }
        }
    }

    public int count() {
        return classes.size();
    }
}
