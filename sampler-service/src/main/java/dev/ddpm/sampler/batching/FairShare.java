package dev.ddpm.sampler.batching;

import java.util.List;

/**
 * How one network call's image slots are shared between the requests in the batcher, decided
 * afresh at every step (a request's images are free to pause between steps: their state is just
 * x_t and the scheduler's).
 *
 * <ul>
 *   <li>Requests share slots equally (processor sharing over requests, not over images): slots are
 *       dealt one at a time round-robin, oldest request first, until each has what it can use or the
 *       slots run out. A request never uses more than its unfinished images, nor more than the
 *       per-request cap.</li>
 *   <li>Background jobs are dealt after interactive requests, but are always left {@code reserve}
 *       slots when they want them: interactive traffic can take the rest, and nothing it does not
 *       use is left idle.</li>
 * </ul>
 */
public final class FairShare {

    /** What a request can use at this step. */
    public record Demand(int images, Priority priority) {}

    private FairShare() {}

    /**
     * @param demands  in arrival order, each already capped (unfinished images, per-request cap)
     * @param capacity slots in one network call (the batch)
     * @param reserve  slots kept for background jobs while they have work
     * @return slots per request, in the order of {@code demands}
     */
    public static int[] allocate(List<Demand> demands, int capacity, int reserve) {
        int[] slots = new int[demands.size()];
        int background = 0;
        for (Demand d : demands) {
            background += d.priority() == Priority.BACKGROUND ? d.images() : 0;
        }
        int keptForBackground = Math.min(background, Math.min(reserve, capacity));
        int used = deal(demands, slots, Priority.INTERACTIVE, capacity - keptForBackground);
        deal(demands, slots, Priority.BACKGROUND, capacity - used);
        return slots;
    }

    private static int deal(List<Demand> demands, int[] slots, Priority priority, int capacity) {
        int dealt = 0;
        boolean progress = true;
        while (dealt < capacity && progress) {
            progress = false;
            for (int i = 0; i < slots.length && dealt < capacity; i++) {
                Demand d = demands.get(i);
                if (d.priority() == priority && slots[i] < d.images()) {
                    slots[i]++;
                    dealt++;
                    progress = true;
                }
            }
        }
        return dealt;
    }
}
