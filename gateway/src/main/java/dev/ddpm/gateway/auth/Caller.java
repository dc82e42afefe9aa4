package dev.ddpm.gateway.auth;

import java.util.Set;

/** Who is calling: the id of the API key (for audit trails and rate limits) and its scopes. */
public record Caller(String keyId, Set<Scope> scopes) {

    public static final Caller ANONYMOUS_ADMIN = new Caller("local", Set.of(Scope.ADMIN));

    public boolean may(Scope scope) {
        return scopes.contains(Scope.ADMIN) || scopes.contains(scope);
    }
}
