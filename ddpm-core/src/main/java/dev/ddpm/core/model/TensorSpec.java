package dev.ddpm.core.model;

import dev.ddpm.core.json.Require;

import java.util.List;

/**
 * One input or output of the exported graph. Dimensions are numbers, or a symbolic name such as
 * {@code "N"} for the dynamic batch dimension.
 */
public record TensorSpec(String name, String elementType, List<String> shape) {

    public TensorSpec {
        Require.nonBlank(name, "name");
        Require.nonBlank(elementType, "elementType");
        Require.nonNull(shape, "shape");
        shape = List.copyOf(shape);
    }
}
