using System.Diagnostics;
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
    private static int Run(byte[] stdin, Stream stdout)
    {
        var agent = AgentPath();
        var psi = new ProcessStartInfo(agent)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
        };
        psi.Environment[AgentHandOff.ParentPidVariable] = AgentHandOff.ParentPidValue();
        using var child = Process.Start(psi) ?? throw new CniException(CniCode.IoFailure, $"cannot start {agent}");
        try
        {
            child.StandardInput.BaseStream.Write(stdin);
            child.StandardInput.Close();
        }
        catch (IOException)
        {
            // The agent refused early (it answers on stdout itself); its exit code tells.
        }
        // The agent reads all of stdin before it writes anything, so reading its answer afterwards cannot deadlock.
        var answer = new MemoryStream();
        child.StandardOutput.BaseStream.CopyTo(answer);
        child.WaitForExit();
        if (answer.Length == 0 && child.ExitCode != 0)
            throw new CniException(CniCode.TryAgainLater, $"{FileName} ended without an answer",
                $"exit code {child.ExitCode}; the journal lets a retried call converge");
        answer.Position = 0;
        answer.CopyTo(stdout);
        stdout.Flush();
        return child.ExitCode;
    }
}
