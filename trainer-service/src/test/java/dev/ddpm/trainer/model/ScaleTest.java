package dev.ddpm.trainer.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.ddpm.trainer.train.DjlEngine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradients must not depend on when the garbage collector runs. DJL's {@code mul(Number)} lets the
 * backward pass read a scalar from a Java buffer the collector may already have freed ({@link Scale}):
 * these tests force a collection between the forward and the backward pass, where a long training
 * run meets one now and then. Before the fix, the UNet's attention got exactly zero query and key
 * gradients here, every time.
 */
class ScaleTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void aScaledValueKeepsItsGradientAcrossAGarbageCollection() {
        try (NDManager manager = NDManager.newBaseManager();
                GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray x = manager.create(new float[] {1f, -2f, 3f, 0.5f});
            x.setRequiresGradient(true);
            NDArray y = Scale.by(x, 0.25);
            collectGarbage();
            collector.backward(y.sum());
            assertThat(y.toFloatArray()).containsExactly(0.25f, -0.5f, 0.75f, 0.125f);
            assertThat(x.getGradient().toFloatArray()).containsExactly(0.25f, 0.25f, 0.25f, 0.25f);
        }
    }

    @Test
    void unetGradientsDoNotDependOnAGarbageCollectionBeforeTheBackwardPass() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getEngine("PyTorch").setRandomSeed(11);
            UNet unet = new UNet(UNetPresets.withImage(UNetPresets.byName("tiny"), 1, 8));
            unet.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 8, 8), new Shape(1));
            NDArray x = manager.randomNormal(new Shape(4, 1, 8, 8));
            NDArray t = manager.create(new float[] {3f, 100f, 500f, 900f});
            Map<String, float[]> undisturbed = gradients(unet, manager, x, t, false);
            Map<String, float[]> collected = gradients(unet, manager, x, t, true);
            String query = undisturbed.keySet().stream()
                    .filter(k -> k.contains("attn") && k.endsWith("q_weight"))
                    .findFirst()
                    .orElseThrow();
            assertThat(norm(undisturbed.get(query))).as("%s's gradient", query).isGreaterThan(0);
            undisturbed.forEach((name, g) -> assertThat(norm(difference(collected.get(name), g)))
                    .as("%s's gradient changed by a collection", name)
                    .isLessThanOrEqualTo(1e-6 * norm(g)));
        }
    }

    private static Map<String, float[]> gradients(UNet unet, NDManager manager, NDArray x, NDArray t, boolean collect) {
        Map<String, float[]> gradients = new LinkedHashMap<>();
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray out = unet.forward(new ParameterStore(step, false), new NDList(x, t), true)
                    .singletonOrThrow();
            NDArray loss = out.square().mean();
            if (collect) {
                collectGarbage();
            }
            collector.backward(loss);
            for (Pair<String, Parameter> p : unet.getParameters()) {
                NDArray g = p.getValue().getArray().getGradient();
                gradients.put(p.getKey(), g.toFloatArray());
                g.subi(g);
            }
        }
        return gradients;
    }

    /** A full collection, time for the cleaner thread to free direct buffers, and fresh ones in their place. */
    private static void collectGarbage() {
        System.gc();
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < 100; i++) {
            ByteBuffer.allocateDirect(4).putFloat(0, 1e6f);
        }
    }

    private static float[] difference(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static double norm(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }
}
