/* read_many: read a run of small files of one folder without holding the GIL.
 *
 * The catalogue's first load reads every skill file (10k of them: open, fstat, read,
 * close each). Done from Python, each of those calls gives up and retakes the GIL, so a
 * second thread cannot overlap them with parsing. Here a whole run of files is read in
 * one GIL-free stretch while the caller's thread parses the previous run.
 *
 * read_many(dir_fd, names, max_bytes, budget) -> list of
 *     (raw: bytes | None, mtime_ns: int, size: int, ino: int, errno: int)
 * one per name, in order, for the first names whose bytes fit in ``budget`` (at least
 * one). ``raw`` is None when the file was not read: over ``max_bytes`` (errno 0) or an
 * error (errno set). ``raw`` may differ in length from ``size`` when the file changed
 * while it was read; the caller treats that, and every None, the slow careful way.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *name;
    char *data;
    Py_ssize_t len;
    struct stat st;
    int err;
    int read;
} Item;

static void read_one(int dir_fd, Item *it, Py_ssize_t max_bytes) {
    int fd = openat(dir_fd, it->name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        it->err = errno;
        return;
    }
    if (fstat(fd, &it->st) != 0) {
        it->err = errno;
        close(fd);
        return;
    }
    if (it->st.st_size > max_bytes) {
        close(fd);
        return; /* too large: not read, errno 0 */
    }
    /* one byte more than the size: a file growing while we read shows up */
    Py_ssize_t want = (Py_ssize_t)it->st.st_size + 1;
    it->data = malloc((size_t)want);
    if (!it->data) {
        it->err = ENOMEM;
        close(fd);
        return;
    }
    Py_ssize_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, it->data + got, (size_t)(want - got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            it->err = errno;
            free(it->data);
            it->data = NULL;
            close(fd);
            return;
        }
        if (r == 0)
            break;
        got += r;
    }
    close(fd);
    it->len = got;
    it->read = 1;
}

static PyObject *read_many(PyObject *self, PyObject *args) {
    int dir_fd;
    PyObject *names;
    Py_ssize_t max_bytes, budget;
    if (!PyArg_ParseTuple(args, "iO!nn", &dir_fd, &PyList_Type, &names, &max_bytes, &budget))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(names);
    Item *items = calloc(n ? (size_t)n : 1, sizeof(Item));
    PyObject **encoded = calloc(n ? (size_t)n : 1, sizeof(PyObject *));
    PyObject *out = NULL;
    Py_ssize_t i, done = 0;
    if (!items || !encoded) {
        PyErr_NoMemory();
        goto finally;
    }
    for (i = 0; i < n; i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "names must be str");
            goto finally;
        }
        encoded[i] = PyUnicode_EncodeFSDefault(name);
        if (!encoded[i])
            goto finally;
        items[i].name = PyBytes_AS_STRING(encoded[i]);
    }
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t total = 0;
    for (i = 0; i < n && (i == 0 || total < budget); i++) {
        read_one(dir_fd, &items[i], max_bytes);
        total += items[i].len;
    }
    done = i;
    Py_END_ALLOW_THREADS
    out = PyList_New(done);
    if (!out)
        goto finally;
    for (i = 0; i < done; i++) {
        Item *it = &items[i];
        PyObject *raw;
        if (it->read) {
            raw = PyBytes_FromStringAndSize(it->data, it->len);
            if (!raw) {
                Py_CLEAR(out);
                goto finally;
            }
        } else {
            raw = Py_NewRef(Py_None);
        }
        long long mtime_ns = (long long)it->st.st_mtim.tv_sec * 1000000000LL + it->st.st_mtim.tv_nsec;
        long long ctime_ns = (long long)it->st.st_ctim.tv_sec * 1000000000LL + it->st.st_ctim.tv_nsec;
        PyObject *row = Py_BuildValue("(NLLKLi)", raw, mtime_ns, (long long)it->st.st_size,
                                      (unsigned long long)it->st.st_ino, ctime_ns, it->err);
        if (!row) {
            Py_CLEAR(out);
            goto finally;
        }
        PyList_SET_ITEM(out, i, row);
    }
finally:
    if (items) {
        for (i = 0; i < n; i++)
            free(items[i].data);
        free(items);
    }
    if (encoded) {
        for (i = 0; i < n; i++)
            Py_XDECREF(encoded[i]);
        free(encoded);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"read_many", read_many, METH_VARARGS,
     "read_many(dir_fd, names, max_bytes, budget): read files without the GIL (see module doc)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_readmany",
    "Read a run of small files of one folder without holding the GIL.", -1, methods,
};

PyMODINIT_FUNC PyInit__readmany(void) { return PyModule_Create(&module); }
