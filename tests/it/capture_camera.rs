//! Cameras: the clear errors for "no camera" and "not built with the camera feature". A machine with a camera
//! only checks that listing works and that an opened camera gives RGB frames.

#[cfg(not(feature = "camera"))]
use emotrace::capture::CaptureError;
use emotrace::capture::{list_devices, open, CameraSpec, Input};

#[cfg(feature = "camera")]
fn has_video_device() -> bool {
    std::fs::read_dir("/dev")
        .map(|d| d.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().starts_with("video")))
        .unwrap_or(false)
}

#[cfg(not(feature = "camera"))]
#[test]
fn without_the_feature_cameras_are_a_clear_error() {
    let err = list_devices().expect_err("must fail");
    assert!(matches!(err, CaptureError::Camera(_)));
    assert!(err.to_string().contains("--features camera"), "{err}");
    let err = open(&Input::Camera(CameraSpec::default())).err().expect("must fail");
    assert!(err.to_string().contains("--features camera"), "{err}");
}

#[cfg(feature = "camera")]
#[test]
fn no_camera_is_one_clear_sentence() {
    if cfg!(target_os = "linux") && !has_video_device() {
        let err = list_devices().expect_err("must fail without /dev/video*");
        assert_eq!(err.to_string(), emotrace::capture::NO_CAMERA);
        let err = open(&Input::Camera(CameraSpec::default())).err().expect("must fail");
        assert_eq!(err.to_string(), emotrace::capture::NO_CAMERA);
        let spec = CameraSpec { index: Some(3), width: Some(320), ..Default::default() };
        let err = open(&Input::Camera(spec)).err().expect("must fail");
        assert_eq!(err.to_string(), emotrace::capture::NO_CAMERA);
    }
}

#[cfg(feature = "camera")]
#[test]
fn a_present_camera_lists_and_gives_rgb_frames() {
    if !has_video_device() {
        return;
    }
    let devices = match list_devices() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping: {e}");
            return;
        }
    };
    assert!(!devices.is_empty());
    let spec = CameraSpec { index: Some(devices[0].index), ..Default::default() };
    let mut source = match open(&Input::Camera(spec)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("skipping (camera busy or not a capture device?): {e}");
            return;
        }
    };
    assert!(source.info().is_live());
    let a = source.next_frame().expect("frame").expect("camera never ends");
    let b = source.next_frame().expect("frame").expect("camera never ends");
    assert_eq!(a.image.dimensions(), (source.info().width, source.info().height));
    assert!(b.index > a.index && b.timestamp_ms >= a.timestamp_ms);
}
