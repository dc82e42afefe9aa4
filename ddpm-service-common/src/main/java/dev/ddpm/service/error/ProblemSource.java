package dev.ddpm.service.error;

/**
 * An exception that knows the problem it stands for (its status, title and field), so that the
 * shared HTTP and gRPC mappers report it without a service-specific mapper. Implemented by the
 * services' own exceptions beside whatever they extend.
 */
public interface ProblemSource {

    Problem problem();
}
