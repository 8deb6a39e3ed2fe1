namespace EipCni.Cni;

/// <summary>
/// The verbs a plugin implements behind <see cref="CniSkel"/>, which has already validated the environment, the
/// configuration and (for ADD and CHECK) the shape of prevResult. A verb fails by throwing <see cref="CniException"/>.
/// </summary>
public interface ICniVerbs
{
    /// <summary>On success the skel prints prevResult, converted to the configured version, as the ADD result.</summary>
    CniOutcome Add(CniCall call);

    CniOutcome Del(CniCall call);

    CniOutcome Check(CniCall call);

    CniOutcome Gc(CniCall call);

    CniOutcome Status(CniCall call);
}
