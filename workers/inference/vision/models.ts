/** The face models the vision pipeline runs, their tensor names and input sizes (see scripts/face-models). */
export const DETECTOR_MODEL = 'tiny_face_detector';
export const LANDMARK_MODEL = 'face_landmark_68';
export const RECOGNITION_MODEL = 'face_recognition';
export const FACE_MODELS = [DETECTOR_MODEL, LANDMARK_MODEL, RECOGNITION_MODEL] as const;

export const DETECTOR_IO = { input: 'image', output: 'grid' } as const;
export const LANDMARK_IO = { input: 'face', output: 'landmarks', size: 112 } as const;
export const RECOGNITION_IO = { input: 'face', output: 'descriptor', size: 150 } as const;

/** The tiny face detector's five anchors (face-api's src/tinyFaceDetector/const.ts), in grid cells. */
export const TINY_ANCHORS: readonly (readonly [number, number])[] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];
/** Input pixels per grid cell (five stride-2 poolings). */
export const DETECTOR_STRIDE = 32;
/** face-api's IoU threshold for the tiny detector's non-maximum suppression. */
export const DETECTOR_IOU = 0.4;
export const DESCRIPTOR_LENGTH = 128;
