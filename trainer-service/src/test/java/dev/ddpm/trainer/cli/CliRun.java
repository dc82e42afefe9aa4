package dev.ddpm.trainer.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One command line run as {@code scripts/ddpm.sh} runs it, with what it printed. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TrainerCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exitCode = cli.execute(args);
        return new CliRun(exitCode, out.toString(), err.toString());
    }

    /** The command {@code args} name, its options parsed but nothing run. */
    static CommandLine parsed(String... args) {
        return TrainerCli.commandLine()
                .parseArgs(args)
                .subcommand()
                .commandSpec()
                .commandLine();
    }
}
