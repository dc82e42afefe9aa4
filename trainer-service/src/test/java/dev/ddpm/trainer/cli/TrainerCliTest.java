package dev.ddpm.trainer.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The commands, their generated help and the exit codes scripts rely on (0 done, 1 failed, 2 usage error). */
class TrainerCliTest {

    private static final List<String> COMMANDS = List.of(
            "train",
            "sample-grid",
            "evaluate",
            "forward-strip",
            "export",
            "upload-dataset",
            "request-training",
            "models",
            "trainings",
            "datasets");
    /** The commands that group others, with what they group. */
    private static final Map<String, List<String>> GROUPS = Map.of(
            "models", List.of("aliases", "promote", "rollback", "canary", "policy", "delete"),
            "trainings", List.of("cancel"),
            "datasets", List.of("delete"));

    @Test
    void everyCommandsHelpListsEachOfItsOptions() {
        Map<String, CommandLine> commands = TrainerCli.commandLine().getSubcommands();
        assertThat(commands.keySet()).containsAll(COMMANDS);
        for (String name : COMMANDS) {
            CliRun help = CliRun.of(name, "--help");
            assertThat(help.exitCode()).as(name).isZero();
            assertThat(help.out()).as(name).startsWith("Usage: scripts/ddpm.sh " + name);
            for (OptionSpec option : commands.get(name).getCommandSpec().options()) {
                if (option.usageHelp()) {
                    assertThat(help.out()).contains("-h, --help");
                } else if (!option.hidden()) {
                    assertThat(help.out())
                            .as(name + " --help")
                            .contains(option.longestName() + "=" + option.paramLabel());
                    assertThat(option.description())
                            .as(name + " " + option.longestName())
                            .isNotEmpty();
                }
            }
            assertThat(CliRun.of("help", name).out()).as("help " + name).isEqualTo(help.out());
        }
    }

    @Test
    void everyGroupedCommandsHelpListsItsOptionsAndParameters() {
        GROUPS.forEach((group, names) -> {
            CommandLine parent = TrainerCli.commandLine().getSubcommands().get(group);
            assertThat(parent.getSubcommands().keySet()).as(group).containsExactlyInAnyOrderElementsOf(names);
            CliRun listed = CliRun.of(group);
            assertThat(listed.exitCode()).isZero();
            for (String name : names) {
                assertThat(listed.out()).as(group).contains("  " + name + " ");
                CliRun help = CliRun.of(group, name, "--help");
                assertThat(help.exitCode()).as(group + " " + name).isZero();
                assertThat(help.out()).startsWith("Usage: scripts/ddpm.sh " + group + " " + name);
                CommandLine.Model.CommandSpec spec =
                        parent.getSubcommands().get(name).getCommandSpec();
                for (OptionSpec option : spec.options()) {
                    if (!option.usageHelp() && !option.hidden()) {
                        assertThat(help.out()).as(group + " " + name).contains(option.longestName());
                        assertThat(option.description()).isNotEmpty();
                    }
                }
                spec.positionalParameters()
                        .forEach(p ->
                                assertThat(help.out()).as(group + " " + name).contains(p.paramLabel()));
            }
        });
    }

    @Test
    void theHelpShowsDefaultsAndMarksOnlyTrulyRequiredOptionsSo() {
        String train = CliRun.of("train", "--help").out();
        assertThat(train)
                .contains("[--preset=PRESET]")
                .contains("[--steps=N]")
                .contains(" --data=PATH ")
                .contains("(default: 1000)")
                .contains("(default: 64)")
                .contains("mnist-28")
                .contains("S3_ENDPOINT");
        CommandLine.Model.CommandSpec spec =
                TrainerCli.commandLine().getSubcommands().get("train").getCommandSpec();
        assertThat(spec.findOption("--preset").required()).isFalse();
        assertThat(spec.findOption("--steps").required()).isFalse();
        assertThat(spec.findOption("--data").required()).isTrue();
        String request = CliRun.of("request-training", "--help").out();
        assertThat(request)
                .contains("[--preset=PRESET]")
                .contains("[--steps=N]")
                .doesNotContain("--time-box=");
    }

    @Test
    void withoutACommandOrWithHelpTheCommandsAreListed() {
        for (String[] args : new String[][] {{}, {"help"}, {"--help"}, {"-h"}}) {
            CliRun run = CliRun.of(args);
            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).contains("Commands:");
            for (String command : COMMANDS) {
                assertThat(run.out()).contains("  " + command + " ");
            }
        }
    }

    @Test
    void usageErrorsExitWithTwoAndFailuresWithOne() {
        CliRun unknown = CliRun.of("trian", "--data", "x");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("error: ").contains("'trian'");

        CliRun option = CliRun.of("upload-dataset", "--name", "d", "--path", "/nowhere", "--colour", "red");
        assertThat(option.exitCode()).isEqualTo(2);
        assertThat(option.err())
                .contains("error: upload-dataset: Unknown option")
                .contains("--colour")
                .contains("scripts/ddpm.sh upload-dataset --help lists the options");

        CliRun missing = CliRun.of("forward-strip", "--data", "/nowhere");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("error: forward-strip: Missing required option: '--out=FILE'");

        CliRun failed = CliRun.of("forward-strip", "--data", "/nowhere/at-all", "--out", "strip.png");
        assertThat(failed.exitCode()).isEqualTo(1);
        assertThat(failed.err())
                .startsWith("error: ")
                .contains("/nowhere/at-all")
                .doesNotContain("--help");
    }
}
