package org.kdspark.kd.method;

/**
 * The student tap and teacher signal a feature- or relation-based term pairs; the teacher tap defaults to the
 * student tap's name.
 */
record TapPair(String student, String teacher) implements java.io.Serializable {

    static final String STUDENT_KEY = "student_tap";
    static final String TEACHER_KEY = "teacher_tap";

    static Param studentParam() {
        return Param.text(STUDENT_KEY, null, "required: name of the student tap");
    }

    static Param teacherParam() {
        return Param.text(TEACHER_KEY, null, "teacher signal in the store; defaults to student_tap");
    }

    static TapPair read(TermConfig config) {
        String s = config.text(STUDENT_KEY, null);
        return new TapPair(s, config.text(TEACHER_KEY, s));
    }

    @Override
    public String toString() {
        return student.equals(teacher) ? student : student + "->" + teacher;
    }
}
