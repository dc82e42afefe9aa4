package dev.ddpm.trainer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.util.Locale;

/**
 * The trainer on one machine, against the S3 server (and Kafka) of {@code S3_ENDPOINT},
 * {@code S3_ACCESS_KEY}, {@code S3_SECRET_KEY}, {@code KAFKA_BOOTSTRAP_SERVERS} (the local stack's by
 * default). Run through {@code scripts/ddpm.sh} as a plain {@code main}; {@code help} lists the
 * commands, {@code COMMAND --help} a command's options. Exits 0 on success, 2 on a usage error (the
 * message and where the options are listed on standard error) and 1 when the command fails.
 */
@Command(
        name = "scripts/ddpm.sh",
        synopsisSubcommandLabel = "COMMAND",
        description = "The trainer's command line, against S3 and Kafka (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, "
                + "S3_REGION, KAFKA_BOOTSTRAP_SERVERS; the local stack's by default).",
        subcommands = {
            TrainCommand.class,
            SampleGridCommand.class,
            EvaluateCommand.class,
            ForwardStripCommand.class,
            ExportCommand.class,
            UploadDatasetCommand.class,
            RequestTrainingCommand.class,
            ModelsCommand.class,
            TrainingsCommand.class,
            DatasetsCommand.class,
            TrainerCli.Help.class
        })
public final class TrainerCli implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            scope = ScopeType.INHERIT,
            description = "this help")
    private boolean help;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line; returns its exit code (0, 1 for a failure, 2 for a usage error). */
    static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line with its error reporting, for {@link #run} and for tests that capture the output. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new TrainerCli());
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            boolean top = failed.getParent() == null;
            // picocli starts some of its messages with "Error: "; this line already says it.
            String message =
                    e.getMessage().startsWith("Error: ") ? e.getMessage().substring(7) : e.getMessage();
            failed.getErr().println("error: " + (top ? "" : failed.getCommandName() + ": ") + message);
            failed.getErr()
                    .println(
                            top
                                    ? "(scripts/ddpm.sh help lists the commands)"
                                    : "(" + failed.getCommandSpec().qualifiedName() + " --help lists the options)");
            return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((e, failed, parsed) -> {
            failed.getErr().println("error: " + e.getMessage());
            return failed.getCommandSpec().exitCodeOnExecutionException();
        });
        return cli;
    }

    /** Without a command: the commands. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code help [COMMAND]}: the commands, or one command's options (as {@code COMMAND --help}). */
    @Command(name = "help", description = "Lists the commands, or one command's options.")
    static final class Help implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(arity = "0..1", paramLabel = "COMMAND", description = "the command")
        private String command;

        @Override
        public void run() {
            CommandLine cli = spec.parent().commandLine();
            CommandLine shown = command == null ? cli : cli.getSubcommands().get(command);
            if (shown == null) {
                throw new ParameterException(spec.commandLine(), "unknown command '" + command + "'");
            }
            shown.usage(spec.commandLine().getOut());
        }
    }

    /** A data set, model or run name as the buckets accept it: lower case, letters, digits, '.', '_' and '-'. */
    static String safeName(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-").replaceAll("^[^a-z0-9]+", "");
    }
}
