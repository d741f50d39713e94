/**
 * GPU support of the {@code -Pcuda} build: which compute capabilities ND4J's CUDA 11.6 backend has kernels for, and
 * the start-up check that refuses a GPU it cannot run on (Hopper and newer) before ND4J loads.
 */
package org.kdspark.kd.gpu;
