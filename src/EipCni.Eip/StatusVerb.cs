using EipCni.Cni;

namespace EipCni.Eip;

/// <summary>
/// STATUS with the feature on: the preconditions ADD checks before its first cloud call (<see
/// cref="EngineCore.RequirePreconditions"/>, the same code), plus a write probe of the state dir. Local only: no cloud
/// or API server call, as containerd asks every few seconds. Any failure is 50, "not ready", naming what is wrong.
/// </summary>
internal sealed class StatusVerb(EngineCore core)
{
    public string Run()
    {
        try
        {
            core.RequirePreconditions();
            core.KubeLoadedAsync().GetAwaiter().GetResult();
            PrivateFiles.Probe(core.Call.StateDir);
            return "ready";
        }
        catch (CniException e)
        {
            throw new CniException(CniCode.PluginNotAvailable, e.Message, e.Details);
        }
        catch (IOException e)
        {
            throw new CniException(CniCode.PluginNotAvailable, "state directory is not writable", $"{core.Call.StateDir}: {e.Message}");
        }
    }
}
