package dev.ddpm.trainer.cli;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Word-valued options: a typo is refused with the option and its choices, never read as the default. */
class ArgumentsTest {

    private static Arguments parse(String... args) {
        return new Arguments("train", args, 0, Set.of("lr-decay", "schedule"));
    }

    @Test
    void aChoiceIsTheGivenWordOrTheFallback() {
        assertThat(parse("--lr-decay", "cosine").choice("lr-decay", "none", "none", "cosine")).isEqualTo("cosine");
        assertThat(parse().choice("lr-decay", "none", "none", "cosine")).isEqualTo("none");
    }

    @Test
    void aWordOutsideTheChoicesIsAUsageError() {
        assertThatThrownBy(() -> parse("--lr-decay", "cosin").choice("lr-decay", "none", "none", "cosine"))
                .isInstanceOf(Arguments.UsageException.class)
                .hasMessage("train: --lr-decay must be none or cosine, was 'cosin'");
        assertThatThrownBy(() -> parse("--schedule", "quadratic").choice("schedule", "linear", "linear", "cosine", "sigmoid"))
                .hasMessage("train: --schedule must be linear, cosine or sigmoid, was 'quadratic'");
    }
}
