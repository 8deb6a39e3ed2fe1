using EipCni.Cni;

namespace EipCni.Plugin;

/// <summary>
/// The EIP work of <c>eip-cni</c>, which links no engine: the call goes to <c>eip-cni-agent</c> next to it, under the
/// <see cref="AgentHandOff"/> contract, and the agent's answer becomes ours.
/// </summary>
public sealed class AgentProcess(Stream stdout) : IEipWork
{
    private const string FileName = AgentHandOff.AgentFileName;

    public CniOutcome Run(CniCall call, EniConf? eniConf, TimeSpan budget) => CniOutcome.AnsweredBy(Run(call.Stdin, stdout));

    public CniOutcome Status(CniCall call, EniConf eniConf)
    {
        try
        {
            return CniOutcome.AnsweredBy(Run(call.Stdin, stdout));
        }
        catch (CniException e)
        {
            // No agent to ask: ADD could not work either.
            throw new CniException(CniCode.PluginNotAvailable, e.Message, e.Details);
        }
    }

    /// <summary>The agent binary installed next to this one (symlinks resolved, as /proc/self/exe does).</summary>
    private static string AgentPath()
    {
        var self = Environment.ProcessPath ?? throw new CniException(CniCode.IoFailure, "cannot locate the eip-cni executable");
        var agent = Path.Combine(Path.GetDirectoryName(self)!, FileName);
        if (!File.Exists(agent))
            throw new CniException(CniCode.IoFailure, $"{FileName} is missing next to eip-cni",
                $"expected {agent}: install both binaries into the CNI bin directory");
        return agent;
    }

    /// <summary>The operator command line lives in the agent: replace this process with it, same arguments.</summary>
    public static int ExecCommandLine(string[] args)
    {
        string agent;
        try
        {
            agent = AgentPath();
        }
        catch (CniException e)
        {
            Console.Error.WriteLine($"eip-cni: {e.Message} ({e.Details})");
            return 2;
        }
        // argv[0] stays eip-cni: usage and help name the command the operator typed.
        string?[] argv = [Environment.GetCommandLineArgs()[0], .. args, null];
        Libc.execv(agent, argv);
        Console.Error.WriteLine($"eip-cni: cannot run {agent}: {Libc.Describe(Libc.Errno)}");
        return 2;
    }

    /// <summary>
    /// Runs the agent with the same environment and these stdin bytes; relays its answer to our stdout and returns its
    /// exit code. An agent that dies without answering (killed, crashed) still yields one CNI error from us.
    /// </summary>
    /// <remarks>
    /// Started with posix_spawn over two pipes, not System.Diagnostics.Process: merely linking that class made every
    /// pod's eip-cni start 1 MB bigger and ~250 K instructions slower (relocations and static data), for a call only EIP
    /// pods make.
    /// </remarks>
    private static int Run(byte[] stdin, Stream stdout)
    {
        var agent = AgentPath();
        var child = Spawn(agent, out var toChild, out var fromChild);
        try
        {
            using (var input = new FdStream(toChild, writable: true))
                input.Write(stdin);
        }
        catch (IOException)
        {
            // The agent refused early (it answers on stdout itself); its exit code tells.
        }
        finally
        {
            Libc.close(toChild);
        }
        // The agent reads all of stdin before it writes anything, so reading its answer afterwards cannot deadlock.
        var answer = new MemoryStream();
        try
        {
            using var output = new FdStream(fromChild, writable: false);
            output.CopyTo(answer);
        }
        finally
        {
            Libc.close(fromChild);
        }
        var exitCode = Wait(child);
        if (answer.Length == 0 && exitCode != 0)
            throw new CniException(CniCode.TryAgainLater, $"{FileName} ended without an answer",
                $"{(exitCode > 128 ? $"killed by signal {exitCode - 128}" : $"exit code {exitCode}")}; the journal lets a retried call converge");
        stdout.Write(answer.GetBuffer().AsSpan(0, (int)answer.Length));
        stdout.Flush();
        return exitCode;
    }

    /// <summary>The agent with our environment plus the parent PID, its stdin and stdout on two new pipes (ours close on exec).</summary>
    private static unsafe int Spawn(string agent, out int toChild, out int fromChild)
    {
        const int O_CLOEXEC = 0x80000;
        var stdinPipe = stackalloc int[2];
        var stdoutPipe = stackalloc int[2];
        if (Libc.pipe2(stdinPipe, O_CLOEXEC) != 0 || Libc.pipe2(stdoutPipe, O_CLOEXEC) != 0)
            throw new CniException(CniCode.IoFailure, $"cannot start {agent}", $"pipe: {Libc.Describe(Libc.Errno)}");
        var actions = (nint)System.Runtime.InteropServices.NativeMemory.AllocZeroed(Libc.SpawnFileActionsSize);
        try
        {
            Libc.posix_spawn_file_actions_init(actions);
            // dup2 clears close-on-exec on the copies: the child keeps exactly these two, as fd 0 and fd 1.
            Libc.posix_spawn_file_actions_adddup2(actions, stdinPipe[0], 0);
            Libc.posix_spawn_file_actions_adddup2(actions, stdoutPipe[1], 1);
            var env = new List<string?>();
            foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
                if ((string)e.Key != AgentHandOff.ParentPidVariable) env.Add($"{e.Key}={e.Value}");
            env.Add($"{AgentHandOff.ParentPidVariable}={AgentHandOff.ParentPidValue()}");
            env.Add(null);
            var error = Libc.posix_spawn(out var pid, agent, actions, 0, [agent, null], [.. env]);
            if (error != 0)
            {
                Libc.close(stdinPipe[1]);
                Libc.close(stdoutPipe[0]);
                throw new CniException(CniCode.IoFailure, $"cannot start {agent}", Libc.Describe(error));
            }
            toChild = stdinPipe[1];
            fromChild = stdoutPipe[0];
            return pid;
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(actions);
            System.Runtime.InteropServices.NativeMemory.Free((void*)actions);
            Libc.close(stdinPipe[0]);
            Libc.close(stdoutPipe[1]);
        }
    }

    /// <summary>The child's exit code; 128 + the signal when a signal ended it (as shells report it).</summary>
    private static int Wait(int pid)
    {
        int status;
        while (Libc.waitpid(pid, out status, 0) < 0)
        {
            var errno = Libc.Errno;
            if (errno != Tmds.Linux.LibC.EINTR) throw new CniException(CniCode.IoFailure, $"cannot wait for {FileName}", Libc.Describe(errno));
        }
        var signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }
}
