package dev.ddpm.service.rest;

import dev.ddpm.core.json.Json;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyReader;
import jakarta.ws.rs.ext.Provider;

import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;

/**
 * Binds a JSON request body to one of the project's contract records ({@code dev.ddpm..}) with the
 * strict binding every contract document gets ({@link Json#read}: required fields present, values
 * range-checked by the record itself, every failure an {@code InvalidPayloadException} naming the
 * field), so a resource declares the record as its parameter and OpenAPI shows its schema. An
 * application's provider is preferred over Quarkus' own Jackson reader for these types.
 */
@Provider
@Consumes(MediaType.APPLICATION_JSON)
public class ContractBodyReader implements MessageBodyReader<Record> {

    @Override
    public boolean isReadable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return type.isRecord() && type.getPackageName().startsWith("dev.ddpm.");
    }

    @Override
    public Record readFrom(
            Class<Record> type,
            Type genericType,
            Annotation[] annotations,
            MediaType mediaType,
            MultivaluedMap<String, String> headers,
            InputStream entity)
            throws IOException {
        return Json.read(entity.readAllBytes(), type);
    }
}
