/* The sandbox ("pause") container of the test image: holds the pod's namespaces until SIGTERM or SIGINT.
   As PID 1 of its PID namespace it gets no default signal actions, so both are handled; orphans are reaped. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

static void reap(int sig)
{
    (void)sig;
    while (waitpid(-1, 0, WNOHANG) > 0) { }
}

int main(void)
{
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    signal(SIGCHLD, reap);
    for (;;) pause();
}
