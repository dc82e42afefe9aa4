package dev.ddpm.gateway.client;

import dev.ddpm.proto.common.v1.SampleEvent;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The events of one sampling call that its client has not taken yet, latest-wins: the newest progress,
 * the newest preview of each image, and every other event (the result) in order. A client that reads
 * slowly (or not at all) costs at most one preview per image however many the sampler sends, and
 * still gets the result. Not thread-safe: its owner guards it.
 */
public final class PendingEvents {

    private SampleEvent progress;
    private final Map<Integer, SampleEvent> previews = new LinkedHashMap<>();
    private final ArrayDeque<SampleEvent> others = new ArrayDeque<>();
    private long superseded;

    /**
     * Keeps {@code event}, replacing the progress or the same image's preview it makes stale.
     *
     * @return whether it replaced one (dropped unread)
     */
    public boolean add(SampleEvent event) {
        boolean replaced = false;
        if (event.hasProgress()) {
            replaced = progress != null;
            progress = event;
        } else if (event.hasPreview()) {
            replaced = previews.put(event.getPreview().getIndex(), event) != null;
        } else {
            others.add(event);
        }
        if (replaced) {
            superseded++;
        }
        return replaced;
    }

    /** The next event to deliver (progress, then previews, then the rest in order); null when none waits. */
    public SampleEvent next() {
        if (progress != null) {
            SampleEvent next = progress;
            progress = null;
            return next;
        }
        Iterator<SampleEvent> preview = previews.values().iterator();
        if (preview.hasNext()) {
            SampleEvent next = preview.next();
            preview.remove();
            return next;
        }
        return others.poll();
    }

    public boolean isEmpty() {
        return progress == null && previews.isEmpty() && others.isEmpty();
    }

    /** Events dropped so far because a newer one of the same kind replaced them before delivery. */
    public long superseded() {
        return superseded;
    }
}
