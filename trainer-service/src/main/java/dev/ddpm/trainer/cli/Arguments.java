package dev.ddpm.trainer.cli;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** {@code --name value} options of one command, with typed getters and a clear error for anything unknown. */
final class Arguments {

    private final String command;
    private final Map<String, String> values = new HashMap<>();

    Arguments(String command, String[] args, int from, Set<String> known) {
        this.command = command;
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                throw new UsageException(command + ": expected --option value, got '" + arg + "'");
            }
            String name = arg.substring(2);
            if (!known.contains(name)) {
                throw new UsageException(command + ": unknown option --" + name + "; options: " + new TreeSet<>(known));
            }
            values.put(name, args[++i]);
        }
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String required(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new UsageException(command + ": --" + name + " is required");
        }
        return value;
    }

    /** One of a fixed set of words; anything else is a usage error naming the option and the set. */
    String choice(String name, String fallback, String... allowed) {
        String value = values.getOrDefault(name, fallback);
        if (!java.util.List.of(allowed).contains(value)) {
            String last = allowed[allowed.length - 1];
            String others = String.join(", ", java.util.Arrays.copyOf(allowed, allowed.length - 1));
            throw new UsageException(command + ": --" + name + " must be " + (others.isEmpty() ? "" : others + " or ") + last
                    + ", was '" + value + "'");
        }
        return value;
    }

    long number(String name, long fallback) {
        String value = values.get(name);
        try {
            return value == null ? fallback : Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, was '" + value + "'");
        }
    }

    double decimal(String name, double fallback) {
        String value = values.get(name);
        try {
            return value == null ? fallback : Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a number, was '" + value + "'");
        }
    }

    /** A usage error of this command, prefixed with its name like the parsing errors. */
    UsageException error(String message) {
        return new UsageException(command + ": " + message);
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
