package dev.ddpm.service.rest;

import dev.ddpm.service.health.DependencyMonitor;
import dev.ddpm.service.health.DependencyStatus;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/**
 * {@code GET /v1/dependencies}: every dependency's last probe in full (address, cluster id, buckets,
 * the raw error), for operators only: the operator key on the sampler and the trainer, an admin
 * API key on the gateway. Readiness shows the same states without these details.
 */
@Path("/v1/dependencies")
@Produces(MediaType.APPLICATION_JSON)
public class DependenciesResource {

    private final DependencyMonitor monitor;

    public DependenciesResource(DependencyMonitor monitor) {
        this.monitor = monitor;
    }

    @GET
    public List<DependencyStatus> dependencies() {
        return monitor.statuses();
    }
}
