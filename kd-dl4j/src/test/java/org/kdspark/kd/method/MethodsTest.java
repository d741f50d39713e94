package org.kdspark.kd.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MethodsTest {

    @Test
    void registryListsExactlyTheEightMethodsInTaxonomyOrder() {
        assertEquals(List.of("kd", "dkd", "dist", "fitnets", "at", "sp", "rkd", "pkt"), Methods.names());
    }

    @Test
    void descriptionListsTheBaselineAndEveryMethodWithOneLineAndItsKeys() {
        String text = Methods.describe();
        String[] lines = text.split("\n");
        assertTrue(lines[0].startsWith("none ") && lines[0].contains("{ce: 1.0}"), lines[0]);
        for (String name : Methods.names()) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(name + " ")), name + " missing in\n" + text);
        }
        assertTrue(text.contains("kd       Hinton soft targets"), text);
        assertTrue(text.contains("temperature=4.0"), text);
        assertTrue(text.contains("arXiv:1612.03928"), text);
    }

    @Test
    void everyMethodCitesAPaperAndDocumentsItsKeys() {
        for (MethodSpec m : Methods.distillation()) {
            assertTrue(m.paper().contains("arXiv:"), m.name());
            assertTrue(m.params().stream().anyMatch(p -> p.key().equals("weight")), m.name());
            m.params().forEach(p -> assertTrue(!p.description().isBlank(), m.name() + "." + p.key()));
        }
    }

    @Test
    void unknownMethodNamesTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Methods.forName("crd"));
        assertTrue(e.getMessage().contains("kd, dkd, dist, fitnets, at, sp, rkd, pkt"), e.getMessage());
        var none = assertThrows(IllegalArgumentException.class, () -> Methods.forName("none"));
        assertTrue(none.getMessage().contains("{ce: 1.0}"), none.getMessage());
    }

    @Test
    void unknownKeyNamesTheMethodAndTheAllowedKeys() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Methods.forName("kd").configure(Map.of("tempreature", 4)));
        assertEquals("kd: unknown key 'tempreature'; allowed: weight, alpha, temperature, standardize", e.getMessage());
    }

    @Test
    void badValuesAndMissingTapsFailNamingTheKey() {
        var text = assertThrows(IllegalArgumentException.class,
                () -> Methods.forName("kd").configure(Map.of("temperature", "hot")));
        assertTrue(text.getMessage().startsWith("kd.temperature must be a finite number"), text.getMessage());
        var negative = assertThrows(IllegalArgumentException.class,
                () -> Methods.forName("dkd").configure(Map.of("beta", -1)));
        assertTrue(negative.getMessage().startsWith("dkd.beta must be >= 0"), negative.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> Methods.forName("at").configure(100));
        assertTrue(missing.getMessage().startsWith("at.student_tap is required"), missing.getMessage());
        var alpha = assertThrows(IllegalArgumentException.class,
                () -> Methods.forName("kd").configure(Map.of("alpha", 2)));
        assertTrue(alpha.getMessage().contains("alpha"), alpha.getMessage());
    }

    @Test
    void aBareNumberIsTheWeightAndTeacherTapDefaultsToTheStudentTap() {
        DistillationMethod sp = Methods.forName("sp").configure(Map.of("weight", 10, "student_tap", "embed"));
        assertEquals(List.of("embed"), sp.teacherSignals());
        DistillationMethod kd = Methods.forName("kd").configure(0.5);
        assertEquals("0.5*4.0^2*KL(softmax(t/4.0)||softmax(s/4.0))", kd.formula());
    }
}
