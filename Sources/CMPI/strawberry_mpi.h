// The few MPI calls Strawberry makes, as functions Swift can import: MPI's handles
// (MPI_COMM_WORLD, MPI_FLOAT, ...) are C macros that Swift cannot see. Built only with the
// package trait MPI (`swift build --traits MPI`), against Open MPI's or any MPI's <mpi.h>.
#include <mpi.h>

/// Initialises MPI once (serialized threads: only one thread at a time calls MPI).
static inline int strawberry_mpi_init(void) {
    int initialized = 0, provided = 0;
    MPI_Initialized(&initialized);
    if (initialized) return MPI_SUCCESS;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (rc == MPI_SUCCESS) MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return rc;
}

static inline int strawberry_mpi_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
static inline int strawberry_mpi_size(void) { int s = 1; MPI_Comm_size(MPI_COMM_WORLD, &s); return s; }

static inline int strawberry_mpi_alltoall_float(const float *send, float *receive, int countPerRank) {
    return MPI_Alltoall(send, countPerRank, MPI_FLOAT, receive, countPerRank, MPI_FLOAT, MPI_COMM_WORLD);
}

static inline int strawberry_mpi_allgather_float(const float *send, float *receive, int countPerRank) {
    return MPI_Allgather(send, countPerRank, MPI_FLOAT, receive, countPerRank, MPI_FLOAT, MPI_COMM_WORLD);
}

static inline int strawberry_mpi_allgather_int(int value, int *receive) {
    return MPI_Allgather(&value, 1, MPI_INT, receive, 1, MPI_INT, MPI_COMM_WORLD);
}

static inline int strawberry_mpi_allgatherv_bytes(const void *send, int count, void *receive,
                                                  const int *counts, const int *displacements) {
    return MPI_Allgatherv(send, count, MPI_BYTE, receive, counts, displacements, MPI_BYTE, MPI_COMM_WORLD);
}

static inline int strawberry_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static inline void strawberry_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
static inline int strawberry_mpi_finalize(void) { return MPI_Finalize(); }

/// MPI's text for an error code, into `buffer` (at least MPI_MAX_ERROR_STRING bytes).
static inline void strawberry_mpi_error_text(int code, char *buffer, int capacity) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    if (length >= capacity) length = capacity - 1;
    for (int i = 0; i < length; i++) buffer[i] = text[i];
    buffer[length] = 0;
}
